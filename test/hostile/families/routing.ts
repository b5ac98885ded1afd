import { eventRequest, forEachScheme, goodEvent, type CorpusContext, type HostileCase } from '../corpus.js';
import type { RawRequest } from '../raw-http.js';

/**
 * Slugs that are not partners: unknown, outside the pattern, path tricks, SQL fragments, NUL bytes,
 * 10 KB long. The slug is checked against /^[a-z0-9_-]{1,64}$/ before any lookup, and lookups are
 * answered from an in-memory Map, so '__proto__' and 'constructor' are just unknown names.
 */
const SLUGS: readonly string[] = [
  'nobody', 'partner-that-was-never-added', '..', '.', '%2e%2e', '%2E%2E%2F..%2Fetc%2Fpasswd', '%00', 'h-hmac%00',
  '%2500', 'H-HMAC', 'h-hmac%20', '%20h-hmac', 'h-hmac.', "h-hmac'", "'%20OR%20'1'%3D'1", '1%3BDROP%20TABLE%20webhook_outbox',
  "x'%20UNION%20SELECT%20secrets%20FROM%20webhook_partners--", '%27%3B--', '%22%29%3B', 'a'.repeat(65), 'a'.repeat(10 * 1024),
  '%C3%A4', '%FF', '%', '%zz', '%E0%A4%A', '_health', '_admin', '__proto__', 'constructor', 'hasOwnProperty', 'h-hmac/extra',
  '', '%2F', '..%2F..%2F', '%0d%0aSet-Cookie:%20x=1', '$%7Bjndi:ldap://x%7D', 'h-hmac;', 'h-hmac%3Bdrop',
];

export function unknownPartners(context: CorpusContext): HostileCase[] {
  const hmac = context.partners['hmac-sha256'];
  return SLUGS.flatMap((slug) => {
    const signed = eventRequest(context, hmac, goodEvent(context, hmac));
    const label = slug.length > 40 ? `${slug.slice(0, 12)}… (${slug.length} chars)` : slug || '(empty)';
    return [
      { family: 'unknown partner', name: `${label} signed`, request: { ...signed, path: `${context.mount}/${slug}` }, expect: { status: 404 } },
      {
        family: 'unknown partner',
        name: `${label} unsigned, no body`,
        request: { path: `${context.mount}/${slug}`, headers: [['content-type', 'text/plain']] },
        expect: { status: 404 },
      },
    ];
  });
}

/** 403 comes before everything but 404, whatever else is wrong with the request. */
export function disabledPartner(context: CorpusContext): HostileCase[] {
  const p = context.disabled;
  const good = goodEvent(context, p);
  const cases: Array<[string, RawRequest]> = [
    ['correctly signed', eventRequest(context, p, good)],
    ['unsigned', eventRequest(context, p, { ...good, signature: () => [] })],
    ['text/plain', eventRequest(context, p, { ...good, contentType: 'text/plain' })],
    ['declared 1 GB', eventRequest(context, p, { ...good, extraHeaders: [['content-length', String(2 ** 30)]] })],
    ['invalid JSON', eventRequest(context, p, { body: '{"id":', headerId: context.uid() })],
  ];
  return cases.map(([name, request]) => ({ family: 'disabled partner', name, request, expect: { status: 403, error: 'partner_disabled' } }));
}

const REFUSED_TYPES: readonly (string | null)[] = [
  null, '', 'text/plain', 'text/json', 'text/html', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/xml', 'APPLICATION/XML', 'application/jsonp', 'application/json-seq', 'application/x-json', 'json',
  'application/', 'application/+json', '*/*', 'application/*', 'image/png', 'application/json; charset=latin1',
  'application/json; charset=utf-16', 'application/json;charset=iso-8859-1', 'application/vnd.acme+json; charset=ucs-2',
];

export function contentTypes(context: CorpusContext): HostileCase[] {
  return forEachScheme(context, (p) =>
    REFUSED_TYPES.map((contentType) => ({
      family: 'content type',
      name: `${p.scheme} ${contentType === null ? '(missing)' : JSON.stringify(contentType)}`,
      request: eventRequest(context, p, { ...goodEvent(context, p), contentType }),
      expect: { status: 415, error: 'unsupported_media_type' },
    })),
  );
}

/** Over the limit by declaration or by bytes; a bad signature does not turn a 413 into a 401. */
export function oversizedBodies(context: CorpusContext): HostileCase[] {
  const limit = context.bodyLimitBytes;
  return forEachScheme(context, (p) => {
    const good = goodEvent(context, p);
    const declared = (length: string): RawRequest => eventRequest(context, p, { ...good, extraHeaders: [['content-length', length]] });
    const big = Buffer.from(JSON.stringify({ id: context.uid(), pad: 'x'.repeat(limit) }));
    const chunked = (size: number): RawRequest => {
      const body = Buffer.alloc(size, 0x20);
      const request = eventRequest(context, p, { ...good, body, extraHeaders: [['transfer-encoding', 'chunked']] });
      return { ...request, body: Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) };
    };
    const cases: Array<[string, RawRequest]> = [
      ['declared limit + 1', declared(String(limit + 1))],
      ['declared 100 MB', declared(String(100 * 1024 * 1024))],
      ['declared 2^53 + 1', declared('9007199254740993')],
      ['limit + 1 bytes, correctly signed', eventRequest(context, p, { ...good, body: big })],
      ['limit + 1 bytes, bad signature', eventRequest(context, p, { ...good, body: big, signature: () => [] })],
      ['chunked, limit + 1 bytes', chunked(limit + 1)],
    ];
    return cases.map(([name, request]) => ({
      family: 'oversized body',
      name: `${p.scheme} ${name}`,
      request,
      expect: { status: 413, error: 'payload_too_large' },
    }));
  });
}

/**
 * Requests Node's HTTP parser refuses before the plugin sees them (smuggling shapes, lying or
 * unparseable lengths, bytes not allowed in a header). Node answers 400 itself, without a body.
 */
export function malformedHttp(context: CorpusContext): HostileCase[] {
  const p = context.partners['hmac-sha256'];
  const good = goodEvent(context, p);
  const variants: Array<[string, Array<[string, string]>]> = [
    ['Content-Length and Transfer-Encoding', [['content-length', '10'], ['transfer-encoding', 'chunked']]],
    ['two different Content-Lengths', [['content-length', '10'], ['content-length', '11']]],
    ['Content-Length: -1', [['content-length', '-1']]],
    ['Content-Length: abc', [['content-length', 'abc']]],
    ['NUL in a header value', [['x-note', 'a\u0000b']]],
    ['newline in a header name', [['x-no\nte', 'a']]],
    ['space before the colon', [['x-note ', 'a']]],
  ];
  return variants.map(([name, extraHeaders]) => ({
    family: 'malformed HTTP',
    name,
    request: { ...eventRequest(context, p, { ...good, extraHeaders }), autoLength: false },
    expect: { status: 400 },
  }));
}

/** Only POST is routed; other methods get 405 from the router, never a 5xx. */
export function otherMethods(context: CorpusContext): HostileCase[] {
  const p = context.partners['hmac-sha256'];
  return ['GET', 'PUT', 'DELETE', 'PATCH'].map((method) => ({
    family: 'method',
    name: method,
    request: { ...eventRequest(context, p, goodEvent(context, p)), method },
    expect: { status: 405 },
  }));
}
