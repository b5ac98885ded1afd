import { createHmac } from 'node:crypto';
import { WebhookError } from '../../errors.js';
import { MAX_TOKEN_LENGTH, type Handshake } from './handshake.js';

/**
 * Zoom's `endpoint.url_validation` event (signed like other events) carries `payload.plainToken`;
 * the reply adds `encryptedToken`, the hex HMAC-SHA256 of plainToken keyed with the Secret Token.
 * https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint
 */
export const ZOOM_URL_VALIDATION: Handshake = Object.freeze({
  kind: 'zoom-url-validation',
  stage: 'signed',
  method: 'POST',
  summary: 'POST event=endpoint.url_validation (signed): answers {plainToken, encryptedToken}',
  answer({ body, secrets }) {
    if (typeof body !== 'object' || body === null || (body as { event?: unknown }).event !== 'endpoint.url_validation') return null;
    const plainToken = (body as { payload?: { plainToken?: unknown } }).payload?.plainToken;
    if (typeof plainToken !== 'string' || plainToken === '' || plainToken.length > MAX_TOKEN_LENGTH) {
      throw new WebhookError(400, 'bad_request', 'endpoint.url_validation needs payload.plainToken');
    }
    // The newest secret: the one Zoom is configured with after a rotation.
    const encryptedToken = createHmac('sha256', secrets[0] ?? '').update(plainToken).digest('hex');
    return { status: 200, type: 'json', body: { plainToken, encryptedToken } };
  },
} satisfies Handshake);
