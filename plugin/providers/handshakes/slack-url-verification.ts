import { WebhookError } from '../../errors.js';
import { MAX_TOKEN_LENGTH, type Handshake } from './handshake.js';

/**
 * Slack's Events API sends `{"type":"url_verification","challenge":…}` signed like any other
 * request; the reply echoes the challenge. https://api.slack.com/events/url_verification
 */
export const SLACK_URL_VERIFICATION: Handshake = Object.freeze({
  kind: 'slack-url-verification',
  stage: 'signed',
  method: 'POST',
  summary: 'POST type=url_verification (signed): answers {"challenge":…}',
  answer({ body }) {
    if (typeof body !== 'object' || body === null || (body as { type?: unknown }).type !== 'url_verification') return null;
    const challenge = (body as { challenge?: unknown }).challenge;
    if (typeof challenge !== 'string' || challenge === '' || challenge.length > MAX_TOKEN_LENGTH) {
      throw new WebhookError(400, 'bad_request', 'url_verification needs a challenge string');
    }
    return { status: 200, type: 'json', body: { challenge } };
  },
} satisfies Handshake);
