import { anyBytesEqual, decodeBase64, decodeHex, hmacSha256 } from './constant-time.js';
import type { Verdict } from './types.js';

const MIN_SECRET_LENGTH = 16;
const SHA256_BYTES = 32;

/**
 * One rule for the plain-HMAC schemes (hmac-sha256, GitHub, Stripe): the key is the secret's UTF-8
 * bytes as given, a hex secret is not decoded, which is what GitHub and most senders do.
 */
export function checkPlainSecret(secret: string): string | null {
  return checkSenderSecret(secret) ?? shortSecretWarning(secret);
}

/**
 * hmac-sha256 and GitHub take the secret the sender already holds (GitHub allows short ones, and the
 * CRM admin cannot choose it), so only an empty or whitespace-padded one is refused (issue 10 item 7).
 */
export function checkSenderSecret(secret: string): string | null {
  if (secret.length === 0) return 'the secret is empty';
  if (secret.trim() !== secret) return 'the secret starts or ends with whitespace';
  return null;
}

/** Said to the admin (CLI stderr, admin API `warnings`) when a usable secret is short enough to guess. */
export function shortSecretWarning(secret: string): string | null {
  if (secret.length >= MIN_SECRET_LENGTH) return null;
  return `the secret is too short (${secret.length} characters, at least ${MIN_SECRET_LENGTH} recommended)`;
}

export type DigestEncoding = 'hex' | 'base64';

export interface HmacHeaderRule {
  /** Lower-case prefix such as `sha256=`, compared case-insensitively. */
  prefix?: string;
  prefixRequired?: boolean;
  encoding: DigestEncoding;
}

const decoders: Record<DigestEncoding, (text: string) => Buffer | null> = { hex: decodeHex, base64: (text) => decodeBase64(text) };

/**
 * A header holding one HMAC-SHA256 of the raw body, keyed with the secret's UTF-8 bytes, in hex
 * (hmac-sha256, GitHub) or base64 (Shopify-style senders).
 */
export function verifyHmacSha256Header(value: string, rawBody: Buffer, secrets: readonly string[], rule: HmacHeaderRule): Verdict {
  const prefix = rule.prefix ?? '';
  const hasPrefix = prefix !== '' && value.slice(0, prefix.length).toLowerCase() === prefix;
  if (rule.prefixRequired === true && !hasPrefix) return { ok: false, code: 'signature_invalid' };
  const given = decoders[rule.encoding](hasPrefix ? value.slice(prefix.length) : value);
  if (given === null || given.length !== SHA256_BYTES) return { ok: false, code: 'signature_invalid' };
  // An empty key is no secret at all: never let it verify anything.
  const expected = secrets.filter((s) => s.length > 0).map((s) => hmacSha256(Buffer.from(s, 'utf8'), [rawBody]));
  return anyBytesEqual(expected, [given]) ? { ok: true } : { ok: false, code: 'signature_invalid' };
}

/** `sha256=` is optional for hmac-sha256, required by GitHub. */
export function verifyHexHmacHeader(value: string, rawBody: Buffer, secrets: readonly string[], prefixRequired: boolean): Verdict {
  return verifyHmacSha256Header(value, rawBody, secrets, { prefix: 'sha256=', prefixRequired, encoding: 'hex' });
}

export function verifyBase64HmacHeader(value: string, rawBody: Buffer, secrets: readonly string[]): Verdict {
  return verifyHmacSha256Header(value, rawBody, secrets, { encoding: 'base64' });
}
