import type { IncomingHttpHeaders } from 'node:http';
import type { SignatureScheme } from '../signatures/types.js';

const ALWAYS_KEPT = ['content-type', 'user-agent'];
const REDACTED = '[redacted]';

/**
 * The headers kept with an event in the outbox: the scheme's own (ids, timestamps, event names)
 * plus content type and user agent; signature values are replaced, and nothing else (cookies,
 * authorization, proxies' headers) is kept at all.
 */
export function storedHeaders(headers: IncomingHttpHeaders, scheme: SignatureScheme): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of [...ALWAYS_KEPT, ...scheme.relevantHeaders]) {
    const value = headers[name];
    if (value === undefined) continue;
    kept[name] = scheme.signatureHeaders.includes(name) ? REDACTED : (Array.isArray(value) ? value.join(', ') : value).slice(0, 1000);
  }
  return kept;
}
