import { randomInt } from 'node:crypto';
import { anyBytesEqual, decodeHex, hmacSha256 } from './constant-time.js';
import { firstBodyField } from './body-path.js';
import { readHeader } from './header.js';
import { checkPlainSecret } from './plain-hmac.js';
import { isFreshTimestamp } from './timestamp.js';
import type { SignatureScheme, Verdict } from './types.js';

// https://docs.stripe.com/webhooks#verify-manually
const SIGNATURE = 'stripe-signature';
/** Stripe sends `t`, one `v1` per active secret and sometimes `v0`: 32 items is far more than that. */
export const MAX_STRIPE_ITEMS = 32;
const SHA256_BYTES = 32;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface ParsedHeader {
  timestamp: string;
  signatures: Buffer[];
}

/**
 * `t=<unix>,v1=<hex>[,v1=<hex>...]`. Only the first MAX_STRIPE_ITEMS items are read; other keys
 * (v0, future schemes) and malformed v1 values are skipped. Two `t` items are refused: Stripe's
 * own library would silently take the last, letting an appended `t` override the signed one.
 */
function parseHeader(value: string): ParsedHeader | null {
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const item of value.split(',', MAX_STRIPE_ITEMS)) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const field = item.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined) return null;
      timestamp = field;
    } else if (key === 'v1' && field.length === SHA256_BYTES * 2) {
      const bytes = decodeHex(field);
      if (bytes !== null) signatures.push(bytes);
    }
  }
  if (timestamp === undefined || signatures.length === 0) return null;
  return { timestamp, signatures };
}

function signedContent(timestamp: string, rawBody: Buffer | string): (string | Buffer)[] {
  return [`${timestamp}.`, rawBody];
}

export const stripeScheme: SignatureScheme = Object.freeze({
  name: 'stripe',
  signsIdOrTimestamp: true,
  relevantHeaders: Object.freeze(['content-type', SIGNATURE]),
  signatureHeaders: Object.freeze([SIGNATURE]),

  verify({ rawBody, headers, secrets, nowMs, toleranceSeconds }): Verdict {
    const header = readHeader(headers, SIGNATURE);
    if (header.status === 'absent') return { ok: false, code: 'signature_missing' };
    if (header.status === 'ambiguous') return { ok: false, code: 'signature_invalid' };
    const parsed = parseHeader(header.value);
    if (parsed === null) return { ok: false, code: 'signature_invalid' };
    // Checked before any HMAC so a replayed request costs no hashing.
    if (!isFreshTimestamp(parsed.timestamp, nowMs, toleranceSeconds)) return { ok: false, code: 'timestamp_invalid' };
    // The key is the secret string's bytes exactly as given: Stripe does not decode `whsec_...`.
    const content = signedContent(parsed.timestamp, rawBody);
    const expected = secrets.filter((s) => s.length > 0).map((s) => hmacSha256(Buffer.from(s, 'utf8'), content));
    return anyBytesEqual(expected, parsed.signatures) ? { ok: true } : { ok: false, code: 'signature_invalid' };
  },

  locate(_headers, body) {
    return { id: firstBodyField(body, ['id']), type: firstBodyField(body, ['type']) };
  },

  sign({ secret, rawBody, timestampSeconds }) {
    if (secret.length === 0) throw new Error('crm-webhooks: cannot sign for stripe with an empty secret');
    if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
      throw new Error(`crm-webhooks: cannot sign for stripe: bad timestamp ${timestampSeconds}`);
    }
    const t = String(timestampSeconds);
    const digest = hmacSha256(Buffer.from(secret, 'utf8'), signedContent(t, rawBody)).toString('hex');
    return { [SIGNATURE]: `t=${t},v1=${digest}` };
  },

  generateSecret() {
    let suffix = '';
    for (let i = 0; i < 32; i += 1) suffix += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
    return `whsec_${suffix}`;
  },
  checkSecret: checkPlainSecret,
} satisfies SignatureScheme);
