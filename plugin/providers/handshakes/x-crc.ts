import { createHmac } from 'node:crypto';
import { queryToken, type Handshake } from './handshake.js';

/**
 * X (Twitter) Account Activity challenge-response check: `GET ?crc_token=…`, answered with
 * `{"response_token":"sha256=<base64 HMAC-SHA256 of crc_token keyed with the consumer secret>"}`.
 * https://docs.x.com/x-api/webhooks/introduction (Challenge-Response Checks)
 */
export const X_CRC: Handshake = Object.freeze({
  kind: 'x-crc',
  stage: 'unsigned',
  method: 'GET',
  summary: 'GET ?crc_token: answers {"response_token":"sha256=<base64 HMAC>"}',
  answer({ method, query, secrets }) {
    if (method !== 'GET') return null;
    const token = queryToken(query, 'crc_token');
    // The newest secret: the consumer secret X holds after a rotation.
    const digest = createHmac('sha256', secrets[0] ?? '').update(token).digest('base64');
    return { status: 200, type: 'json', body: { response_token: `sha256=${digest}` } };
  },
} satisfies Handshake);
