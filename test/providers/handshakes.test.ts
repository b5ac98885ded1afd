import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';

const NOW_S = 1_700_000_000;
const hmac = (key: string, text: string) => createHmac('sha256', key).update(text);

const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const ZOOM_SECRET = 'zoom-secret-token-0123456789abcd';
const X_SECRET = 'x-consumer-secret-0123456789abcdef';
const META_TOKEN = 'meta-verify-token';

async function send(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/**
 * Every handshake of issue 10 item 5 through HTTP, on each database: answered with what the
 * provider's docs say it checks, refused when unsigned or wrong, and never stored as an event.
 */
describeEachDatabase('provider handshakes over HTTP', (db) => {
  let host: TestHost;
  const slugs = ['hs-slack', 'hs-zoom', 'hs-graph', 'hs-meta', 'hs-x'];
  before(async () => {
    host = await startTestHost(db().knex, { clock: { now: () => NOW_S * 1000 } });
    const add = (slug: string, preset: string, secret: string, settings: Record<string, unknown> = {}) =>
      host.plugin.partners.add({ slug, preset, secret, settings });
    await add('hs-slack', 'slack', SLACK_SECRET);
    await add('hs-zoom', 'zoom', ZOOM_SECRET);
    await add('hs-graph', 'microsoft-graph', 'graph-client-state-0123');
    await add('hs-meta', 'meta', 'meta-app-secret-0123456789abcdef', { presetSettings: { verifyToken: META_TOKEN } });
    await add('hs-x', 'x', X_SECRET);
    await host.plugin.partners.add({ slug: 'hs-plain', secret: 'plain-secret-0123456789' });
  });
  after(async () => {
    await host?.close();
  });

  describe('Slack url_verification (https://api.slack.com/events/url_verification)', () => {
    const body = '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}';
    const signature = `v0=${hmac(SLACK_SECRET, `v0:${NOW_S}:${body}`).digest('hex')}`;

    it('answers the challenge of a signed url_verification', async () => {
      const response = await send(host.url('hs-slack'), {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(NOW_S), 'x-slack-signature': signature },
      });
      expect(response.status).to.equal(200);
      expect(JSON.parse(response.text)).to.deep.equal({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    });

    it('refuses an unsigned url_verification with 401 and no challenge', async () => {
      const response = await send(host.url('hs-slack'), {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(NOW_S), 'x-slack-signature': `v0=${'0'.repeat(64)}` },
      });
      expect(response.status).to.equal(401);
      expect(response.text).to.not.include('3eZbrw1a');
    });
  });

  describe('Zoom endpoint.url_validation (https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint)', () => {
    const body = '{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}';

    it('answers plainToken and its hex HMAC-SHA256 under the secret token', async () => {
      const response = await send(host.url('hs-zoom'), {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-zm-request-timestamp': String(NOW_S), 'x-zm-signature': `v0=${hmac(ZOOM_SECRET, `v0:${NOW_S}:${body}`).digest('hex')}` },
      });
      expect(response.status).to.equal(200);
      expect(JSON.parse(response.text)).to.deep.equal({
        plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
        encryptedToken: hmac(ZOOM_SECRET, 'qgg8vlvZRS6UYooatFL8Aw').digest('hex'),
      });
    });

    it('refuses an unsigned url_validation with 401', async () => {
      const response = await send(host.url('hs-zoom'), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(response.status).to.equal(401);
    });
  });

  describe('Microsoft Graph validationToken (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks#notificationurl-validation)', () => {
    it('echoes the decoded token as text/plain with 200, whatever the (text/plain, empty) body', async () => {
      const response = await send(`${host.url('hs-graph')}?validationToken=Validation%3A%20Testing%20client%20application%20reachability`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^text\/plain/);
      expect(response.text).to.equal('Validation: Testing client application reachability');
    });

    it('answers GET with 405 and Allow: POST (Graph validates with POST)', async () => {
      const response = await send(`${host.url('hs-graph')}?validationToken=abc`);
      expect(response.status).to.equal(405);
      expect(response.headers.get('allow')).to.equal('POST');
    });
  });

  describe('Meta hub.challenge (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests)', () => {
    const url = (token: string) => `${host.url('hs-meta')}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${token}`;

    it('echoes the challenge when the verify token matches', async () => {
      const response = await send(url(META_TOKEN));
      expect(response.status).to.equal(200);
      expect(response.text).to.equal('1158201444');
    });

    it('refuses a wrong verify token with 401 and no challenge', async () => {
      const response = await send(url('meta-verify-tokem'));
      expect(response.status).to.equal(401);
      expect(response.text).to.not.include('1158201444');
    });

    it('answers 400 when the challenge is missing', async () => {
      const response = await send(`${host.url('hs-meta')}?hub.mode=subscribe&hub.verify_token=${META_TOKEN}`);
      expect(response.status).to.equal(400);
    });
  });

  describe('X crc_token (https://docs.x.com/x-api/webhooks/introduction)', () => {
    it('answers the sha256= base64 HMAC of crc_token under the consumer secret', async () => {
      const response = await send(`${host.url('hs-x')}?crc_token=9b4507b3-9040-4669-9ec9-7b5ce4b1e1e4`);
      expect(response.status).to.equal(200);
      expect(JSON.parse(response.text)).to.deep.equal({ response_token: `sha256=${hmac(X_SECRET, '9b4507b3-9040-4669-9ec9-7b5ce4b1e1e4').digest('base64')}` });
    });

    it('answers 400 without crc_token', async () => {
      expect((await send(host.url('hs-x'))).status).to.equal(400);
    });
  });

  describe('GET on the receive route', () => {
    it('answers 405 with Allow: POST for a partner without a GET handshake', async () => {
      const response = await send(`${host.url('hs-plain')}?crc_token=x`);
      expect(response.status).to.equal(405);
      expect(response.headers.get('allow')).to.equal('POST');
      expect(JSON.parse(response.text)).to.include({ error: 'method_not_allowed' });
    });

    it('answers 404 for an unknown partner and 403 for a disabled one, as POST does', async () => {
      expect((await send(`${host.url('hs-nobody')}?crc_token=x`)).status).to.equal(404);
      await host.plugin.partners.setEnabled('hs-x', false);
      try {
        expect((await send(`${host.url('hs-x')}?crc_token=x`)).status).to.equal(403);
      } finally {
        await host.plugin.partners.setEnabled('hs-x', true);
      }
    });
  });

  it('stores no outbox or dedupe row for any handshake', async () => {
    const outbox = await db().knex('webhook_outbox').whereIn('partner', slugs).count({ n: '*' });
    const dedupe = await db().knex('webhook_dedupe').whereIn('partner', slugs).count({ n: '*' });
    expect(Number(outbox[0]!.n)).to.equal(0);
    expect(Number(dedupe[0]!.n)).to.equal(0);
  });
});
