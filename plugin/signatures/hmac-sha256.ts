import { randomBytes } from 'node:crypto';
import { anyBytesEqual, decodeHex, hmacSha256 } from './constant-time.js';
import { firstBodyField } from './event-locator.js';
import { headerValue, readHeader } from './header.js';
import type { SignatureScheme, Verdict } from './types.js';

const SIGNATURE = 'x-webhook-signature';
const ID = 'x-webhook-id';
const MIN_SECRET_LENGTH = 16;
const SHA256_BYTES = 32;

/**
 * One rule for the plain-HMAC schemes (this one and GitHub's): the key is the secret's UTF-8 bytes
 * as given, a hex secret is not decoded, which is what GitHub and most senders do.
 */
export function checkPlainSecret(secret: string): string | null {
  if (secret.length === 0) return 'the secret is empty';
  if (secret.trim() !== secret) return 'the secret starts or ends with whitespace';
  if (secret.length < MIN_SECRET_LENGTH) {
    return `the secret is too short (${secret.length} characters, at least ${MIN_SECRET_LENGTH})`;
  }
  return null;
}

/** `sha256=` is optional here, required by GitHub; the prefix is compared case-insensitively. */
export function verifyHexHmacHeader(
  value: string,
  rawBody: Buffer,
  secrets: readonly string[],
  prefixRequired: boolean,
): Verdict {
  const hasPrefix = value.slice(0, 7).toLowerCase() === 'sha256=';
  if (prefixRequired && !hasPrefix) return { ok: false, code: 'signature_invalid' };
  const given = decodeHex(hasPrefix ? value.slice(7) : value);
  if (given === null || given.length !== SHA256_BYTES) return { ok: false, code: 'signature_invalid' };
  // An empty key is no secret at all: never let it verify anything.
  const expected = secrets.filter((s) => s.length > 0).map((s) => hmacSha256(Buffer.from(s, 'utf8'), [rawBody]));
  return anyBytesEqual(expected, [given]) ? { ok: true } : { ok: false, code: 'signature_invalid' };
}

export const hmacSha256Scheme: SignatureScheme = Object.freeze({
  name: 'hmac-sha256',
  signsIdOrTimestamp: false,
  relevantHeaders: Object.freeze(['content-type', ID, SIGNATURE]),
  signatureHeaders: Object.freeze([SIGNATURE]),

  verify({ rawBody, headers, secrets }) {
    const header = readHeader(headers, SIGNATURE);
    if (header.status === 'absent') return { ok: false, code: 'signature_missing' };
    if (header.status === 'ambiguous') return { ok: false, code: 'signature_invalid' };
    return verifyHexHmacHeader(header.value, rawBody, secrets, false);
  },

  locate(headers, body) {
    return {
      // The body is signed, the header is not: a replay must not choose its own id (issue 9).
      id: firstBodyField(body, ['event_id', 'id']) ?? headerValue(headers, ID),
      type: firstBodyField(body, ['type', 'event_type', 'event']),
    };
  },

  sign({ secret, rawBody, id }) {
    if (secret.length === 0) throw new Error('crm-webhooks: cannot sign for hmac-sha256 with an empty secret');
    const digest = hmacSha256(Buffer.from(secret, 'utf8'), [rawBody]).toString('hex');
    return { [SIGNATURE]: `sha256=${digest}`, [ID]: id };
  },

  generateSecret: () => randomBytes(32).toString('hex'),
  checkSecret: checkPlainSecret,
} satisfies SignatureScheme);
