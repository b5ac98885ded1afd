import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost } from '../helpers/requests.js';
import { sendRaw } from '../hostile/raw-http.js';

const SECRET = 'strict-secret-0123456789abcdef';
const STANDARD_SECRET = `whsec_${Buffer.from('strict-standard-key-0123456789ab').toString('base64')}`;

/** Issue 9 items 9 to 12: encodings, exact routes, reserved slugs, numeric id spellings, UTF-8 headers. */
describeEachDatabase('strict reading of requests', (db) => {
  let host: TestHost;
  let port: number;

  before(async () => {
    host = await startTestHost(db().knex, { authorize: () => true });
    port = (host.server.address() as AddressInfo).port;
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    await host.plugin.partners.add({ slug: 'std', scheme: 'standard-webhooks', secret: STANDARD_SECRET });
  });
  after(async () => host?.close());

  it('answers 415 to a Content-Encoding other than identity, and never decompresses', async () => {
    for (const encoding of ['gzip', 'deflate', 'br', 'identity, gzip']) {
      const request = signedPost('hmac-sha256', SECRET, { id: `enc-${encoding}`, type: 't' });
      const answer = await post(host.url('acme'), { ...request, headers: { ...request.headers, 'content-encoding': encoding } });
      expect(answer.status, encoding).to.equal(415);
      expect(answer.body.error).to.equal('unsupported_media_type');
    }
    const plain = signedPost('hmac-sha256', SECRET, { id: 'enc-identity', type: 't' });
    expect((await post(host.url('acme'), { ...plain, headers: { ...plain.headers, 'content-encoding': 'identity' } })).status).to.equal(202);
  });

  it('matches its own routes exactly: no other case, no trailing slash', async () => {
    expect((await fetch(`${host.baseUrl}/_health`)).status).to.equal(200);
    // A one-segment path is the receive route's shape, so a GET there is 405 like GET /acme.
    for (const path of ['/_HEALTH', '/_Health', '/_health/', '/_METRICS', '/_ADMIN/partners', '/_Admin/partners']) {
      const answer = await fetch(`${host.baseUrl}${path}`);
      expect(answer.status, path).to.be.oneOf(path.includes('/partners') || path.endsWith('/') ? [404] : [404, 405]);
    }
    expect((await post(`${host.baseUrl}/_HEALTH`, signedPost('hmac-sha256', SECRET, { id: 'route-1' }))).status).to.equal(404);
    expect((await fetch(`${host.baseUrl}/_admin/partners`)).status).to.equal(200);
  });

  it('refuses to add a partner whose slug starts with "_", the prefix of its own routes', async () => {
    for (const slug of ['_health', '_admin', '_x']) {
      let caught: unknown;
      try {
        await host.plugin.partners.add({ slug, secret: SECRET });
      } catch (error) {
        caught = error;
      }
      expect((caught as Error | undefined)?.message, slug).to.match(/not starting with "_"/);
    }
    expect((await host.plugin.partners.add({ slug: 'x_y', secret: SECRET })).partner.slug).to.equal('x_y');
  });

  it('refuses numeric event ids not written as plain integers, and accepts plain ones', async () => {
    for (const spelling of ['1e3', '1000.0', '1E3', '-0', '10.5', '1000e0']) {
      const body = `{"id":${spelling},"type":"t","note":1.5}`;
      const request = signedPost('hmac-sha256', SECRET, {}, { body });
      delete request.headers['x-webhook-id'];
      const answer = await post(host.url('acme'), request);
      expect(answer.status, spelling).to.equal(400);
      expect(answer.body.error, spelling).to.equal('invalid_event_id');
    }
    const plain = signedPost('hmac-sha256', SECRET, {}, { body: '{"amount":1e3,"id":1000,"type":"t"}' });
    delete plain.headers['x-webhook-id'];
    expect((await post(host.url('acme'), plain)).body).to.deep.equal({ status: 'accepted', id: '1000' });
  });

  it('reads an id header as UTF-8: a Standard Webhooks id signed as UTF-8 verifies and is stored as sent', async () => {
    const id = 'évt-ü-1';
    const body = Buffer.from(JSON.stringify({ type: 'contact.updated' }));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const key = Buffer.from(STANDARD_SECRET.slice('whsec_'.length), 'base64');
    const signature = createHmac('sha256', key).update(Buffer.from(`${id}.${timestamp}.`, 'utf8')).update(body).digest('base64');
    const answer = await sendRaw(port, {
      path: '/plugins/webhooks/std',
      headers: [
        ['content-type', 'application/json'],
        // The wire carries UTF-8 bytes; raw-http writes each character as one latin1 byte.
        ['webhook-id', Buffer.from(id, 'utf8').toString('latin1')],
        ['webhook-timestamp', timestamp],
        ['webhook-signature', `v1,${signature}`],
      ],
      body,
    });
    expect(answer.status, answer.body).to.equal(202);
    expect(JSON.parse(answer.body)).to.deep.equal({ status: 'accepted', id });
    expect(await db().knex('webhook_outbox').where({ partner: 'std' }).pluck('event_id')).to.deep.equal([id]);
  });

  it('refuses an id header whose bytes are not UTF-8', async () => {
    const request = signedPost('hmac-sha256', SECRET, {}, { body: '{"type":"t"}' });
    const answer = await sendRaw(port, {
      path: '/plugins/webhooks/acme',
      headers: [...Object.entries(request.headers).filter(([name]) => name !== 'x-webhook-id'), ['x-webhook-id', 'caf\xe9']],
      body: Buffer.from(request.body),
    });
    expect(answer.status).to.equal(400);
    expect(JSON.parse(answer.body).error).to.equal('missing_event_id');
  });
});
