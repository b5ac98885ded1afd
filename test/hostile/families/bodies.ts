import { eventRequest, forEachScheme, goodEvent, type CorpusContext, type HostileCase } from '../corpus.js';

/** JSON.parse refuses all of these; each is correctly signed so it gets past the 401 check. */
const MALFORMED: readonly string[] = [
  '', '   ', '{', '}', '{"a":}', "{'a':1}", '{a:1}', '[1,]', '{"a":1,}', 'NaN', '{"a":01}', '{"a":"\\x"}', '{"id":"x"} x',
  '{"a":"unterminated', '{"a":1}{"b":2}', 'undefined', '{"a":Infinity}', '{"a":-}', '{"a":.5}', '{"a":"\u0001"}', '\u0000',
];

/** Byte sequences a strict UTF-8 decoder must refuse (RFC 3629), placed inside a JSON string. */
const INVALID_UTF8: ReadonlyArray<[string, number[]]> = [
  ['0xFF', [0xff]],
  ['0xFE', [0xfe]],
  ['lone continuation byte', [0x80]],
  ['overlong "/" (2 bytes)', [0xc0, 0xaf]],
  ['overlong "/" (3 bytes)', [0xe0, 0x80, 0xaf]],
  ['UTF-8 encoded surrogate U+D800', [0xed, 0xa0, 0x80]],
  ['code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['5-byte sequence', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ['truncated 2-byte sequence', [0xc3]],
  ['truncated 3-byte sequence', [0xe2, 0x82]],
  ['Latin-1 "é"', [0xe9]],
];

export function malformedJson(context: CorpusContext): HostileCase[] {
  return forEachScheme(context, (p) => {
    const good = goodEvent(context, p);
    const text = good.body;
    const cuts = [1, 2, 5, 8, 13, 21, Math.floor(text.length / 2), text.length - 10, text.length - 3, text.length - 2, text.length - 1];
    const truncated = cuts.map((cut): HostileCase => ({
      family: 'truncated JSON',
      name: `${p.scheme} first ${cut} of ${text.length} bytes`,
      request: eventRequest(context, p, { ...good, body: text.slice(0, cut) }),
      expect: { status: 400, error: 'invalid_json' },
    }));
    const broken = [...MALFORMED, `\ufeff${text}`].map((body): HostileCase => ({
      family: 'malformed JSON',
      name: `${p.scheme} ${JSON.stringify(body.slice(0, 30))}`,
      request: eventRequest(context, p, { ...good, body }),
      expect: { status: 400, error: 'invalid_json' },
    }));
    return [...truncated, ...broken];
  });
}

export function invalidUtf8(context: CorpusContext): HostileCase[] {
  return forEachScheme(context, (p) =>
    INVALID_UTF8.map(([label, bytes]): HostileCase => {
      const good = goodEvent(context, p, { note: '@@' });
      const [before, after] = good.body.split('@@') as [string, string];
      const body = Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
      return {
        family: 'invalid UTF-8',
        name: `${p.scheme} ${label}`,
        request: eventRequest(context, p, { ...good, body }),
        expect: { status: 400, error: 'invalid_body' },
      };
    }),
  );
}

/** Nesting beyond maxJsonDepth, measured on the bytes before JSON.parse ever recurses into it. */
export function deepNesting(context: CorpusContext): HostileCase[] {
  const limit = context.maxJsonDepth;
  return forEachScheme(context, (p) => {
    const nestedIn = (depth: number) => {
      const good = goodEvent(context, p, { deep: '@@' });
      // The envelope object is one level; `depth - 1` arrays inside it make `depth` in total.
      return { ...good, body: good.body.replace('"@@"', `${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}`) };
    };
    const variants: Array<[string, { body: string; headerId?: string }]> = [
      [`depth ${limit + 1}`, nestedIn(limit + 1)],
      ['depth 100', nestedIn(100)],
      ['depth 1,000', nestedIn(1000)],
      ['depth 10,000 arrays', nestedIn(10_000)],
      ['depth 10,000 objects', { ...goodEvent(context, p), body: `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}` }],
      ['10,000 unclosed brackets', { ...goodEvent(context, p), body: '['.repeat(10_000) }],
    ];
    return variants.map(([label, request]): HostileCase => ({
      family: 'deep nesting',
      name: `${p.scheme} ${label}`,
      request: eventRequest(context, p, request),
      expect: { status: 400, error: 'json_too_deep' },
    }));
  });
}
