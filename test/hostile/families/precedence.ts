import { getScheme } from '../../../plugin/signatures/index.js';
import { eventRequest, forEachScheme, goodEvent, type CorpusContext, type EventRequest, type HostileCase } from '../corpus.js';
import { nowSeconds } from '../signing.js';

/**
 * Requests wrong in several ways at once: CONTRACT.md's order (404, 403, 429, 415, 413, 401, 400,
 * then 503) decides which status answers. Nothing is read or parsed that an earlier refusal makes
 * unnecessary, so a 10,000-deep unsigned body costs a 401, never a parse.
 */
export function precedence(context: CorpusContext): HostileCase[] {
  return forEachScheme(context, (p) => {
    const good = goodEvent(context, p);
    const unsigned = { signature: () => [] };
    const cases: Array<[string, EventRequest & { path?: string }, number, string]> = [
      ['unknown partner, unsigned, text/plain, declared 1 GB', { ...good, ...unsigned, contentType: 'text/plain', extraHeaders: [['content-length', String(2 ** 30)]], path: `${p.slug}-x` }, 404, 'unknown_partner'],
      ['text/plain and declared 1 GB', { ...good, contentType: 'text/plain', extraHeaders: [['content-length', String(2 ** 30)]] }, 415, 'unsupported_media_type'],
      ['text/plain and unsigned', { ...good, ...unsigned, contentType: 'text/plain' }, 415, 'unsupported_media_type'],
      ['unsigned and not JSON', { ...good, ...unsigned, body: '{"id":' }, 401, 'signature_missing'],
      ['unsigned and 10,000 deep', { ...good, ...unsigned, body: '['.repeat(10_000) }, 401, 'signature_missing'],
      ['unsigned and a 1,000-character id', { ...good, ...unsigned, body: JSON.stringify({ id: 'x'.repeat(1000) }) }, 401, 'signature_missing'],
      ['signed with another secret and invalid UTF-8', { ...good, body: Buffer.from([0x7b, 0xff, 0x7d]), secret: getScheme(p.scheme).generateSecret() }, 401, 'signature_invalid'],
    ];
    if (p.scheme === 'standard-webhooks' || p.scheme === 'stripe') {
      cases.push(['a day old and not JSON', { ...good, body: '{"id":', timestampSeconds: nowSeconds() - 86_400 }, 401, 'timestamp_invalid']);
    }
    return cases.map(([label, request, status, error]): HostileCase => {
      const built = eventRequest(context, p, request);
      return {
        family: 'precedence',
        name: `${p.scheme} ${label}`,
        request: request.path ? { ...built, path: `${context.mount}/${request.path}` } : built,
        expect: { status, error },
      };
    });
  });
}
