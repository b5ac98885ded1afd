import { randomBytes } from 'node:crypto';
import { firstBodyField } from './body-path.js';
import { hmacSha256 } from './constant-time.js';
import { headerValue, readHeader } from './header.js';
import { checkSenderSecret, shortSecretWarning, verifyHexHmacHeader } from './plain-hmac.js';
import type { SignatureScheme } from './types.js';

const SIGNATURE = 'x-webhook-signature';
const ID = 'x-webhook-id';

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
  checkSecret: checkSenderSecret,
  warnSecret: shortSecretWarning,
} satisfies SignatureScheme);
