import { randomBytes } from 'node:crypto';
import { getScheme } from '../../../plugin/signatures/index.js';
import { eventRequest, forEachScheme, goodEvent, type CorpusContext, type EventRequest, type HostileCase } from '../corpus.js';
import { nowSeconds, signatureHeaderName, signatureHeaders, type CorpusPartner, type HeaderLines } from '../signing.js';

const DAY = 86_400;

/** Each scheme's syntax for `count` well-formed signatures, the right one last. */
export function manySignatures(partner: CorpusPartner, right: string, count: number): string {
  switch (partner.scheme) {
    case 'hmac-sha256':
      return [...Array<string>(count - 1).fill(`sha256=${'ab'.repeat(32)}`), right].join(',');
    case 'github':
      return [...Array<string>(count - 1).fill(`sha256=${'ab'.repeat(32)}`), right].join(' ');
    case 'standard-webhooks':
      return [...Array<string>(count - 1).fill(`v1,${Buffer.alloc(32, 1).toString('base64')}`), right].join(' ');
    case 'stripe': {
      const [t, v1] = right.split(',');
      return [t, ...Array<string>(count - 1).fill(`v1=${'cd'.repeat(32)}`), v1].join(',');
    }
  }
}

const replace = (name: string, value: string | null) => (signed: HeaderLines): HeaderLines => [
  ...signed.filter(([n]) => n !== name),
  ...(value === null ? [] : ([[name, value]] as HeaderLines)),
];

/** Missing, empty, garbled, forged, oversized and crowded signature headers. */
export function badSignatures(context: CorpusContext): HostileCase[] {
  return forEachScheme(context, (p) => {
    const name = signatureHeaderName(p.scheme);
    const good = goodEvent(context, p);
    const right = eventRequest(context, p, good).headers.find(([n]) => n === name)?.[1] ?? '';
    const variants: Array<[string, EventRequest, string]> = [
      ['signature header missing', { ...good, signature: replace(name, null) }, 'signature_missing'],
      ['every signature header missing', { ...good, signature: () => [] }, 'signature_missing'],
      ['signature empty', { ...good, signature: replace(name, '') }, 'signature_missing'],
      ['signature blank', { ...good, signature: replace(name, '   ') }, 'signature_missing'],
      ...['garbage', 'sha256=', 'sha256=zz', 'v1,', 't=,v1=', 'v1a,@@', '=', ',,,', '\u00ff\u00fe'].map(
        (v): [string, EventRequest, string] => [`signature ${JSON.stringify(v)}`, { ...good, signature: replace(name, v) }, 'signature_invalid'],
      ),
      ['random bytes as hex', { ...good, signature: replace(name, `sha256=${randomBytes(32).toString('hex')}`) }, 'signature_invalid'],
      ['signature truncated', { ...good, signature: replace(name, right.slice(0, -2)) }, 'signature_invalid'],
      ['signature with 10 KB appended', { ...good, signature: replace(name, `${right}${'0'.repeat(10 * 1024)}`) }, 'signature_invalid'],
      ['10 KB signature', { ...good, signature: replace(name, 'a'.repeat(10 * 1024)) }, 'signature_invalid'],
      // 1,000 signatures do not fit in Node's 16 KiB of headers: Node answers 431 before the plugin
      // sees them. 180 fit, and the verifiers look at the first 32 entries only.
      ['180 signatures, the right one last', { ...good, signature: replace(name, manySignatures(p, right, 180)) }, 'signature_invalid'],
      ['1,000 signatures in one header (over 16 KiB)', { ...good, signature: replace(name, manySignatures(p, right, 1000)) }, 'header_too_large'],
      ['two junk signature lines', { ...good, signature: (s) => [...replace(name, 'junk-1')(s), [name, 'junk-2']] }, 'signature_invalid'],
      ['signed with another secret', { ...good, secret: getScheme(p.scheme).generateSecret() }, 'signature_invalid'],
      ['signed over another body', { ...good, signature: () => signatureHeaders(p, Buffer.from(`${good.body} `), good) }, 'signature_invalid'],
    ];
    return variants.map(([label, request, error]) => ({
      family: 'signature',
      name: `${p.scheme} ${label}`,
      request: eventRequest(context, p, request),
      // Node answers 431 itself (no body) when the header block passes its maxHeaderSize.
      expect: error === 'header_too_large' ? { status: 431 } : { status: 401, error },
    }));
  });
}

/** Correctly signed, but at a time outside the tolerance (default 300 s), or with an unreadable timestamp. */
export function badTimestamps(context: CorpusContext): HostileCase[] {
  const now = nowSeconds();
  // ±330 s: clearly outside 300 s even if the corpus takes a few seconds to send.
  const stale = [now - 330, now - DAY, now - 365 * DAY, 0, 1, now + 330, now + DAY, now + 10 * 365 * DAY, 999_999_999_999];
  const malformed = ['abc', '-5', '1.5', ` ${now}x`, '0x10', '1e9', `0${now}`, '1'.repeat(13), `${now}.0`, `+${now}`];
  return ['standard-webhooks', 'stripe'].flatMap((scheme) => {
    const p = context.partners[scheme as 'stripe'];
    const signedAt = stale.map((ts): HostileCase => ({
      family: 'timestamp',
      name: `${scheme} signed at ${ts} (now ${ts < now ? '-' : '+'}${Math.abs(now - ts)} s)`,
      request: eventRequest(context, p, { ...goodEvent(context, p), timestampSeconds: ts }),
      expect: { status: 401, error: 'timestamp_invalid' },
    }));
    const unreadable = malformed.map((text): HostileCase => ({
      family: 'timestamp',
      name: `${scheme} timestamp ${JSON.stringify(text)}`,
      request: eventRequest(context, p, { ...goodEvent(context, p), signature: (signed) => withTimestamp(scheme, signed, text) }),
      expect: { status: 401, error: 'timestamp_invalid' },
    }));
    return [...signedAt, ...unreadable];
  });
}

function withTimestamp(scheme: string, signed: HeaderLines, text: string): HeaderLines {
  return signed.map(([name, value]): [string, string] => {
    if (scheme === 'standard-webhooks' && name === 'webhook-timestamp') return [name, text];
    if (scheme === 'stripe' && name === 'stripe-signature') return [name, value.replace(/^t=\d+/, `t=${text}`)];
    return [name, value];
  });
}
