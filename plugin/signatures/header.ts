import type { RequestHeaders } from './types.js';

/**
 * What a request says under one header name.
 * - `absent`: not sent, sent empty, or an empty array.
 * - `ambiguous`: sent several times with no way to tell which one the sender meant. Node joins most
 *   repeated headers with ", " itself; an array only reaches us from `headersDistinct`-style callers
 *   or set-cookie-like headers. Picking the first would let a proxy-injected duplicate decide, so
 *   several values are refused instead (the verifiers answer `signature_invalid`).
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
  const trimmed = value.trim();
  return trimmed === '' ? ABSENT : { status: 'present', value: trimmed };
}

/** The header's value when there is exactly one non-empty value, else undefined. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const read = readHeader(headers, name);
  return read.status === 'present' ? read.value : undefined;
}
