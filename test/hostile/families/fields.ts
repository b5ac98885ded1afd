import { envelope, eventRequest, forEachScheme, goodEvent, type CorpusContext, type HostileCase } from '../corpus.js';
import { type CorpusPartner, type HeaderLines } from '../signing.js';

/**
 * Event ids and types the contract refuses with 400: longer than 191 characters, control
 * characters, lone surrogates, integers JSON cannot carry exactly (beyond 2^53), and values that
 * are not strings or integers at all. All correctly signed.
 */
const BAD_BODY_IDS: ReadonlyArray<[string, string]> = [
  // [label, the id's JSON text as it appears in the body]
  ['192 characters', JSON.stringify('x'.repeat(192))],
  ['1,000 characters', JSON.stringify('x'.repeat(1000))],
  ['10 KB', JSON.stringify('x'.repeat(10 * 1024))],
  ['192 emoji', JSON.stringify('\u{1F600}'.repeat(192))],
  ...['\u0000', '\u0001', '\n', '\r', '\t', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f'].map(
    (c): [string, string] => [`control U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`, JSON.stringify(`evt${c}1`)],
  ),
  ['lone high surrogate', '"evt\\ud800"'],
  ['lone low surrogate', '"\\udfffevt"'],
  ['2^53', '9007199254740992'],
  ['2^53 + 1', '9007199254740993'],
  ['12345678901234567890', '12345678901234567890'],
  ['1e21', '1e21'],
  ['-2^60', '-1152921504606846976'],
  ['1.5', '1.5'],
  ['1e-7', '1e-7'],
  ['1e400 (Infinity)', '1e400'],
  ['true', 'true'],
  ['false', 'false'],
  ['object', '{"id":"x"}'],
  ['array', '["x"]'],
];
const MISSING_IDS: readonly string[] = ['null', '""'];

/** Header values cannot hold NUL or newlines (Node refuses those itself); tabs and obs-text they can. */
const BAD_HEADER_IDS: ReadonlyArray<[string, string]> = [
  ['192 characters', 'x'.repeat(192)],
  ['8 KB', 'x'.repeat(8 * 1024)],
  ['inner tab', 'evt\t1'],
  // Header ids are read as UTF-8 (issue 9): these go on the wire as c2 85 and c2 9b.
  ['C1 control U+0085', 'evt\u00851'],
  ['C1 control U+009B', 'evt\u009b1'],
];

const BAD_TYPES: ReadonlyArray<[string, unknown]> = [
  ['192 characters', 't'.repeat(192)],
  ['number', 42],
  ['object', { a: 1 }],
  ['array', ['a']],
  ['true', true],
  ['control character', 'contact\nupdated'],
  ['lone surrogate', '\ud800'],
];

function bodyWithRawId(context: CorpusContext, idJson: string): string {
  return `{"id":${idJson},"type":"t","n":"${context.uid()}"}`;
}

export function badEventIds(context: CorpusContext): HostileCase[] {
  const inBody = ['hmac-sha256', 'stripe'].flatMap((scheme) => {
    const p = context.partners[scheme as 'stripe'];
    const bad = BAD_BODY_IDS.map(([label, json]): HostileCase => ({
      family: 'event id',
      name: `${scheme} body id ${label}`,
      request: eventRequest(context, p, { body: bodyWithRawId(context, json) }),
      expect: { status: 400, error: 'invalid_event_id' },
    }));
    const missing = [...MISSING_IDS.map((json) => bodyWithRawId(context, json)), '{"type":"t"}', '[]', '"just a string"', '42', 'null'].map(
      (body): HostileCase => ({
        family: 'event id',
        name: `${scheme} no id in ${body.slice(0, 24)}`,
        request: eventRequest(context, p, { body }),
        expect: { status: 400, error: 'missing_event_id' },
      }),
    );
    return [...bad, ...missing];
  });
  const inHeader = (['hmac-sha256', 'standard-webhooks', 'github'] as const).flatMap((scheme) =>
    BAD_HEADER_IDS.map(([label, headerId]): HostileCase => ({
      family: 'event id',
      name: `${scheme} header id ${label}`,
      request: eventRequest(context, context.partners[scheme], { body: '{"type":"t"}', headerId }),
      expect: { status: 400, error: 'invalid_event_id' },
    })),
  );
  return [...inBody, ...inHeader];
}

export function badEventTypes(context: CorpusContext): HostileCase[] {
  const inBody = (['hmac-sha256', 'standard-webhooks', 'stripe'] as const).flatMap((scheme) =>
    BAD_TYPES.map(([label, type]): HostileCase => {
      const id = context.uid();
      return {
        family: 'event type',
        name: `${scheme} type ${label}`,
        request: eventRequest(context, context.partners[scheme], envelope(scheme, { id, type })),
        expect: { status: 400, error: 'invalid_event_type' },
      };
    }),
  );
  const github = context.partners.github;
  const githubCases: Array<[string, string, Record<string, unknown>]> = [
    ['X-GitHub-Event of 192 characters', 'e'.repeat(192), {}],
    ['event + action beyond 191 characters', 'e'.repeat(150), { action: 'a'.repeat(50) }],
    ['X-GitHub-Event with a tab', 'push\tx', {}],
  ];
  return [
    ...inBody,
    ...githubCases.map(([label, type, body]): HostileCase => ({
      family: 'event type',
      name: `github ${label}`,
      request: eventRequest(context, github, { body: JSON.stringify(body), headerId: context.uid(), type }),
      expect: { status: 400, error: 'invalid_event_type' },
    })),
  ];
}

/** Pads a signed request with harmless headers until it carries `total` header lines in all. */
function withHeaderCount(partner: CorpusPartner, request: ReturnType<typeof eventRequest>, total: number): ReturnType<typeof eventRequest> {
  // serialize() adds host, connection and content-length.
  const padding = total - request.headers.length - 3;
  const extra: HeaderLines = Array.from({ length: padding }, (_, i) => [`x-pad-${i}`, partner.scheme.slice(0, 1)]);
  return { ...request, headers: [...request.headers, ...extra] };
}

/**
 * Header count: more than maxHeaderCount lines is a 400 (after the signature check, per the
 * contract's order); a header block over Node's maxHeaderSize (16 KiB) is refused by Node with 431.
 */
export function headerFlood(context: CorpusContext): HostileCase[] {
  const max = context.maxHeaderCount;
  const counted = forEachScheme(context, (p) =>
    [max + 1, max * 2, 1000].map((total): HostileCase => ({
      family: 'header count',
      name: `${p.scheme} ${total} headers`,
      request: withHeaderCount(p, eventRequest(context, p, goodEvent(context, p)), total),
      expect: { status: 400, error: 'too_many_headers' },
    })),
  );
  const p = context.partners['hmac-sha256'];
  const unsigned = withHeaderCount(p, eventRequest(context, p, { ...goodEvent(context, p), signature: () => [] }), max * 2);
  const oversized: Array<[string, HeaderLines]> = [
    ['one 17 KB header', [['x-big', 'x'.repeat(17 * 1024)]]],
    ['3,000 small headers (over 16 KB)', Array.from({ length: 3000 }, (_, i): [string, string] => [`x-${i}`, 'y'])],
  ];
  return [
    ...counted,
    { family: 'header count', name: `unsigned with ${max * 2} headers`, request: unsigned, expect: { status: 401, error: 'signature_missing' } },
    ...oversized.map(([label, extraHeaders]): HostileCase => ({
      family: 'header size',
      name: label,
      request: eventRequest(context, p, { ...goodEvent(context, p), extraHeaders }),
      expect: { status: 431 },
    })),
  ];
}
