import { expect } from 'chai';
import { Paddle } from '@paddle/paddle-node-sdk';
import { WebhooksHelper } from 'square';
import { Webhook } from 'standardwebhooks';
import twilio from 'twilio';
import { resolvePartnerScheme } from '../../plugin/providers/partner-scheme.js';
import type { PartnerSettings } from '../../plugin/partners/partner-settings.js';
import type { SignatureScheme } from '../../plugin/signatures/types.js';

function presetScheme(preset: string, settings: Omit<PartnerSettings, 'preset'> = {}): SignatureScheme {
  const resolved = resolvePartnerScheme('custom', { ...settings, preset });
  if (!resolved.ok) throw new Error(resolved.problem);
  return resolved.scheme;
}

const verify = (scheme: SignatureScheme, body: string, headers: Record<string, string>, secret: string, nowMs: number, contentType = 'application/json') =>
  scheme.verify({ rawBody: Buffer.from(body), headers: { 'content-type': contentType, ...headers }, secrets: [secret], nowMs, toleranceSeconds: 300 });

/**
 * Our signer against the providers' own verifiers (and their signers against ours), where the
 * provider's SDK installs here: the presets compute exactly what the providers compute.
 */
describe('providers: parity with the providers\' SDKs', () => {
  it('twilio: the twilio package validates what the twilio preset signs, and the preset accepts what twilio computes', () => {
    const url = 'https://crm.example/plugins/webhooks/twilio?account=1';
    const params = { MessageSid: 'SM123', MessageStatus: 'delivered', To: '+15551234567', Body: 'héllo & bye' };
    const body = new URLSearchParams(params).toString();
    const scheme = presetScheme('twilio', { publicUrl: url });
    const ours = scheme.sign({ secret: 'twilio-auth-token-0123456789', rawBody: body, id: 'SM123', timestampSeconds: 0 });
    expect(twilio.validateRequest('twilio-auth-token-0123456789', ours['x-twilio-signature']!, url, params)).to.equal(true);
    const theirs = twilio.getExpectedTwilioSignature('twilio-auth-token-0123456789', url, params);
    expect(verify(scheme, body, { 'x-twilio-signature': theirs }, 'twilio-auth-token-0123456789', 0, 'application/x-www-form-urlencoded').ok).to.equal(true);
  });

  it('paddle: the Paddle SDK validates what the paddle preset signs', async () => {
    const body = '{"event_id":"evt_1","event_type":"transaction.completed","occurred_at":"2023-01-01T00:00:00Z","notification_id":"ntf_1","data":{}}';
    const now = Math.floor(Date.now() / 1000); // the SDK reads the wall clock and allows 5 s
    const headers = presetScheme('paddle').sign({ secret: 'pdl_ntfset_secret_0123456789', rawBody: body, id: 'evt_1', timestampSeconds: now });
    expect(headers['paddle-signature']).to.match(/^ts=\d+;h1=[0-9a-f]{64}$/);
    const paddle = new Paddle('pdl_sdbx_apikey_01gtgztp8fg9n4dyh06qctjdt2_0123456789abcdefghijklm');
    expect(await paddle.webhooks.isSignatureValid(body, 'pdl_ntfset_secret_0123456789', headers['paddle-signature']!)).to.equal(true);
    expect(await paddle.webhooks.isSignatureValid(`${body} `, 'pdl_ntfset_secret_0123456789', headers['paddle-signature']!)).to.equal(false);
  });

  it('square: the square package validates what the square preset signs', async () => {
    const url = 'https://crm.example/plugins/webhooks/square';
    const body = '{"event_id":"e-1","type":"payment.updated"}';
    const headers = presetScheme('square', { publicUrl: url }).sign({ secret: 'square-signature-key', rawBody: body, id: 'e-1', timestampSeconds: 0 });
    const args = { requestBody: body, signatureHeader: headers['x-square-hmacsha256-signature']!, signatureKey: 'square-signature-key', notificationUrl: url };
    expect(await WebhooksHelper.verifySignature(args)).to.equal(true);
    expect(await WebhooksHelper.verifySignature({ ...args, notificationUrl: `${url}/` })).to.equal(false);
  });

  it('svix: the svix preset accepts what the standardwebhooks library signs, rotation lists included', () => {
    const secret = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;
    const body = '{"type":"user.created","data":{"id":"user_1"}}';
    const at = new Date(1_700_000_000_000);
    const signature = new Webhook(secret).sign('msg_1', at, body);
    const scheme = presetScheme('svix');
    const headers = { 'svix-id': 'msg_1', 'svix-timestamp': '1700000000', 'svix-signature': `v1,AAAA ${signature}` };
    expect(verify(scheme, body, headers, secret, at.getTime())).to.deep.equal({ ok: true });
    expect(verify(scheme, body, { ...headers, 'svix-id': 'msg_2' }, secret, at.getTime()).ok).to.equal(false);
  });
});
