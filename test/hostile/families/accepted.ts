import { envelope, eventRequest, forEachScheme, goodEvent, type CorpusContext, type EventRequest, type HostileCase } from '../corpus.js';
import { idLivesInHeader } from '../signing.js';

/**
 * Well-formed edge cases that must be accepted (202): without them, a guard that refused too much
 * would pass the suite.
 *
 * Duplicate keys are accepted and the last value wins. The signature covers the raw bytes, so the
 * partner really sent this body; the outbox stores those bytes, and handlers receive
 * JSON.parse(rawBody), which also takes the last value, so the id that was deduplicated is the id
 * every handler sees. Refusing would need a parser of our own for what RFC 8259 calls "SHOULD be
 * unique" (not MUST), and would break partners whose serializers repeat keys.
 */
export function acceptedEdgeCases(context: CorpusContext): HostileCase[] {
  return forEachScheme(context, (p) => {
    const depthAtLimit = (): EventRequest & { id: string } => {
      const good = goodEvent(context, p, { deep: '@@' });
      const inner = context.maxJsonDepth - 1;
      return { ...good, body: good.body.replace('"@@"', `${'['.repeat(inner)}${']'.repeat(inner)}`) };
    };
    const withId = (id: string, extra: Record<string, unknown> = {}): EventRequest & { id: string } => ({
      id,
      ...envelope(p.scheme, { id, type: 'contact.updated', extra }),
    });
    const typed = (type: string): EventRequest & { id: string } => {
      const id = context.uid();
      return { id, ...envelope(p.scheme, { id, type }) };
    };
    // Written as text: as JS numbers these would not survive JSON.stringify.
    const hugeNumbers = (): EventRequest & { id: string } => {
      const good = goodEvent(context, p, { amount: '@1', big: '@2', tiny: '@3' });
      return { ...good, body: good.body.replace('"@1"', '1e400').replace('"@2"', '123456789012345678901234567890').replace('"@3"', '-1e-400') };
    };
    const duplicateKeys = (): EventRequest & { id: string } => {
      const id = context.uid();
      if (idLivesInHeader(p.scheme)) return { id, headerId: id, body: `{"type":"first","type":"contact.updated","a":1,"a":2,"ref":"${id}"}` };
      return { id, body: `{"id":"${context.uid()}","type":"t","id":"${id}"}` };
    };
    const variants: Array<[string, EventRequest & { id: string }]> = [
      ['duplicate keys (last value wins)', duplicateKeys()],
      ['huge numbers outside the id', hugeNumbers()],
      [`nesting exactly ${context.maxJsonDepth} deep`, depthAtLimit()],
      ['brackets inside strings do not count as depth', goodEvent(context, p, { s: '['.repeat(10_000), t: '"\\"[[[' })],
      ['id of exactly 191 characters', withId(fill191(`${context.uid()}-`, 'z'))],
      ['type of exactly 191 characters', typed('T'.repeat(191))],
      ['latin-1 letters in the id', withId(`${context.uid()}-\u00e9\u00df\u00fe`)],
      // Header values are bytes Node reads as latin1, so ids beyond latin1 only travel in bodies.
      ...(idLivesInHeader(p.scheme)
        ? []
        : ([
            ['id of 191 characters outside the BMP', withId(fill191(`${context.uid()}-`, '\u{1F600}'))],
            ['RTL override and CJK in the id', withId(`${context.uid()}-\u202e\u4e2d`)],
          ] as Array<[string, EventRequest & { id: string }]>)),
    ];
    return [
      ...variants.map(([label, request]): HostileCase => ({
        family: 'accepted edge case',
        name: `${p.scheme} ${label}`,
        request: eventRequest(context, p, request),
        expect: { status: 202, id: request.id },
      })),
      ...['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.acme.v2+json', 'application/json;charset="UTF-8"'].map(
        (contentType): HostileCase => {
          const good = goodEvent(context, p);
          return {
            family: 'accepted edge case',
            name: `${p.scheme} content type ${contentType}`,
            request: eventRequest(context, p, { ...good, contentType }),
            expect: { status: 202, id: good.id },
          };
        },
      ),
    ];
  });
}


/** `prefix` followed by `filler` up to exactly 191 code points, the longest id the contract allows. */
function fill191(prefix: string, filler: string): string {
  return prefix + filler.repeat(191 - Array.from(prefix).length);
}
