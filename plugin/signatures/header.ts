import type { RequestHeaders } from './types.js';

/**
 * What a request says under one header name.
 * - `absent`: not sent, sent empty, or an empty array.
 * - `ambiguous`: sent several times with no way to tell which one the sender meant. Node joins most
 *   repeated headers with ", " itself; an array only reaches us from `headersDistinct`-style callers
 *   or set-cookie-like headers. Picking the first would let a proxy-injected duplicate decide, so
 *   several values are refused instead (the verifiers answer `signature_invalid`). A value whose
 *   bytes are not valid UTF-8 reads as `ambiguous` too: there is no telling which text was meant.
 *
 * Node hands header values over as latin1 (one character per byte); senders sign and mean UTF-8
 * (a Standard Webhooks id `évt` is signed as the bytes c3 a9 ...), so `present` values are decoded
 * as UTF-8 here (issue 9 item 12).
 */
export type HeaderRead =
  | { readonly status: 'absent' }
  | { readonly status: 'present'; readonly value: string }
  | { readonly status: 'ambiguous' };

const ABSENT: HeaderRead = Object.freeze({ status: 'absent' });
const AMBIGUOUS: HeaderRead = Object.freeze({ status: 'ambiguous' });

/** `name` must be lower-case: Node lower-cases incoming header names and no other casing is looked up. */
export function readHeader(headers: RequestHeaders, name: string): HeaderRead {
  if (!Object.hasOwn(headers, name)) return ABSENT;
  const raw = headers[name];
  let value: unknown = raw;
  if (Array.isArray(raw)) {
    if (raw.length === 0) return ABSENT;
    if (raw.length > 1) return AMBIGUOUS;
    value = raw[0];
  }
  if (typeof value !== 'string') return ABSENT;
  const decoded = asUtf8(value);
  if (decoded === null) return AMBIGUOUS;
  const trimmed = decoded.trim();
  return trimmed === '' ? ABSENT : { status: 'present', value: trimmed };
}

// eslint-disable-next-line no-control-regex -- every ASCII character, controls included, is its own UTF-8
const ASCII = /^[\x00-\x7f]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The UTF-8 text of a latin1-decoded header value; null when its bytes are not UTF-8 (or it never was latin1). */
function asUtf8(value: string): string | null {
  if (ASCII.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  // A value with characters above U+00FF did not come from the wire (a caller built it): keep it.
  if (bytes.toString('latin1') !== value) return value;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** The header's value when there is exactly one non-empty value, else undefined. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const read = readHeader(headers, name);
  return read.status === 'present' ? read.value : undefined;
}
