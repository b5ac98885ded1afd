import { WebhookError } from '../../errors.js';
import { bytesEqual } from '../../signatures/constant-time.js';
import { queryToken, type Handshake } from './handshake.js';

/**
 * Meta (Facebook, Instagram, WhatsApp) verifies an endpoint with
 * `GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`: the verify token is the one the
 * admin typed into the app dashboard (`--setting verifyToken=…`), the reply echoes the challenge.
 * https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
 */
export const META_HUB_CHALLENGE: Handshake = Object.freeze({
  kind: 'meta-hub-challenge',
  stage: 'unsigned',
  method: 'GET',
  summary: 'GET ?hub.mode=subscribe&hub.challenge&hub.verify_token (checks --setting verifyToken): echoes the challenge',
  answer({ method, query, presetSettings }) {
    if (method !== 'GET') return null;
    if (query.get('hub.mode') !== 'subscribe') throw new WebhookError(400, 'bad_request', 'the handshake needs hub.mode=subscribe');
    const challenge = queryToken(query, 'hub.challenge');
    const given = Buffer.from(queryToken(query, 'hub.verify_token'));
    const expected = presetSettings.verifyToken ?? '';
    if (expected === '' || !bytesEqual(given, Buffer.from(expected))) throw new WebhookError(401, 'signature_invalid', 'the verify token does not match');
    return { status: 200, type: 'text', body: challenge };
  },
} satisfies Handshake);
