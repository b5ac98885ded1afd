import { randomBytes } from 'node:crypto';
import { hmacSha256 } from './constant-time.js';
import { readBodyPath } from './body-path.js';
import { headerValue, readHeader } from './header.js';
import { checkSenderSecret, shortSecretWarning, verifyHexHmacHeader } from './plain-hmac.js';
import type { SignatureScheme } from './types.js';

// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
const SIGNATURE = 'x-hub-signature-256';
// The SHA-1 header GitHub still sends alongside: never verified, but redacted before storage.
const LEGACY_SIGNATURE = 'x-hub-signature';
const DELIVERY = 'x-github-delivery';
const EVENT = 'x-github-event';

export const githubScheme: SignatureScheme = Object.freeze({
  name: 'github',
  signsIdOrTimestamp: false,
  relevantHeaders: Object.freeze([
    'content-type',
    DELIVERY,
    EVENT,
    'x-github-hook-id',
    'x-github-hook-installation-target-id',
    'x-github-hook-installation-target-type',
    LEGACY_SIGNATURE,
    SIGNATURE,
  ]),
  signatureHeaders: Object.freeze([LEGACY_SIGNATURE, SIGNATURE]),

  verify({ rawBody, headers, secrets }) {
    const header = readHeader(headers, SIGNATURE);
    if (header.status === 'absent') return { ok: false, code: 'signature_missing' };
    if (header.status === 'ambiguous') return { ok: false, code: 'signature_invalid' };
    return verifyHexHmacHeader(header.value, rawBody, secrets, true);
  },

  locate(headers, body) {
    const event = headerValue(headers, EVENT);
    const action = readBodyPath(body, ['action']);
    return {
      id: headerValue(headers, DELIVERY),
      type: event !== undefined && typeof action === 'string' && action !== '' ? `${event}.${action}` : event,
    };
  },

  sign({ secret, rawBody, id, type }) {
    if (secret.length === 0) throw new Error('crm-webhooks: cannot sign for github with an empty secret');
    const digest = hmacSha256(Buffer.from(secret, 'utf8'), [rawBody]).toString('hex');
    return { [SIGNATURE]: `sha256=${digest}`, [DELIVERY]: id, [EVENT]: type ?? 'ping' };
  },

  generateSecret: () => randomBytes(32).toString('hex'),
  checkSecret: checkSenderSecret,
  warnSecret: shortSecretWarning,
} satisfies SignatureScheme);
