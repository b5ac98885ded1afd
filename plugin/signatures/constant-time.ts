import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of two byte strings. The length check comes first because
 * timingSafeEqual throws on different lengths; a length is not a secret (every digest of a given
 * algorithm has the same one), so leaking it costs nothing.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** True when any candidate equals any expected digest; every pair is compared in constant time. */
export function anyBytesEqual(expected: readonly Uint8Array[], candidates: readonly Uint8Array[]): boolean {
  let found = false;
  // No early exit: which secret matched should not show in the response time.
  for (const want of expected) {
    for (const got of candidates) {
      if (bytesEqual(want, got)) found = true;
    }
  }
  return found;
}

/** HMAC-SHA256 over the concatenation of `parts`, without building the concatenation in memory. */
export function hmacSha256(key: Uint8Array, parts: readonly (string | Uint8Array)[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

const HEX = /^[0-9a-fA-F]*$/;

/** Hex (either case) to bytes, or null. Buffer.from(..., 'hex') silently stops at the first bad digit. */
export function decodeHex(text: string): Buffer | null {
  if (text.length % 2 !== 0 || !HEX.test(text)) return null;
  return Buffer.from(text, 'hex');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface Base64Options {
  /** Secrets are sometimes pasted without their trailing `=`; signatures never are. */
  allowUnpadded?: boolean;
}

/**
 * Standard-alphabet base64 to bytes, or null. Only the canonical encoding is accepted: Node's
 * decoder ignores stray characters and the unused low bits of the last digit, so two different
 * header values could otherwise carry the same signature.
 */
export function decodeBase64(text: string, options: Base64Options = {}): Buffer | null {
  if (!BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  const canonical = bytes.toString('base64');
  if (text === canonical) return bytes;
  if (options.allowUnpadded === true && text === canonical.replace(/=+$/, '')) return bytes;
  return null;
}
