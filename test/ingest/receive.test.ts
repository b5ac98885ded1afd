import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost } from '../helpers/requests.js';

const SECRET = 'test-secret-0123456789abcdef';

describeEachDatabase('receive path', (db) => {
  let host: TestHost;
  let seq = 0;
  const nextId = () => `evt_${Date.now()}_${(seq += 1)}`;

  before(async () => {
    host = await startTestHost(db().knex);
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    await host.plugin.partners.add({ slug: 'sleepy', secret: SECRET });
    await host.plugin.partners.setEnabled('sleepy', false);
  });
  after(async () => host?.close());

  async function outboxRows(eventId: string) {
    return db().knex('webhook_outbox').where({ partner: 'acme', event_id: eventId });
  }

  it('answers 202 accepted after committing the dedupe and outbox rows', async () => {
    const id = nextId();
    const response = await post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'contact.updated', data: { n: 1 } }));
    expect(response.status).to.equal(202);
    expect(response.body).to.deep.equal({ status: 'accepted', id });
    const rows = await outboxRows(id);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ status: 'pending', event_type: 'contact.updated', attempts: 0 });
    expect(JSON.parse(rows[0].payload)).to.deep.equal({ id, type: 'contact.updated', data: { n: 1 } });
    const headers = JSON.parse(rows[0].headers) as Record<string, string>;
    expect(headers['x-webhook-signature']).to.equal('[redacted]');
    expect(await db().knex('webhook_dedupe').where({ partner: 'acme', event_id: id })).to.have.length(1);
  });

  it('answers 200 duplicate to a redelivery and adds no row', async () => {
    const id = nextId();
    const request = signedPost('hmac-sha256', SECRET, { id, type: 'order.updated' });
    expect((await post(host.url('acme'), request)).status).to.equal(202);
    const again = await post(host.url('acme'), request);
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal({ status: 'duplicate', id });
    expect(await outboxRows(id)).to.have.length(1);
  });

  it('treats ids differing only in case or trailing space as different events', async () => {
    const id = `Case-${nextId()}`;
    for (const variant of [id, id.toLowerCase(), `${id} `]) {
      // From the body: HTTP strips a header value's trailing space.
      const request = signedPost('hmac-sha256', SECRET, { id: variant, type: 't' });
      delete request.headers['x-webhook-id'];
      const response = await post(host.url('acme'), request);
      expect(response.status, variant).to.equal(202);
    }
  });

  it('takes the event id from the signed body before the unsigned X-Webhook-Id header', async () => {
    const id = nextId();
    const request = signedPost('hmac-sha256', SECRET, { id, type: 't' }, { id: `header-${id}` });
    const response = await post(host.url('acme'), request);
    expect(response.body).to.deep.equal({ status: 'accepted', id });
  });

  it('answers 404 for an unknown partner and for a slug outside the pattern', async () => {
    for (const slug of ['nobody', 'UPPER', 'a'.repeat(65), '%00', 'x%2Fy']) {
      const response = await post(host.url(slug), signedPost('hmac-sha256', SECRET, { id: nextId() }));
      expect(response.status, slug).to.equal(404);
      expect(response.body.error).to.equal('unknown_partner');
    }
  });

  it('answers 403 for a disabled partner', async () => {
    const response = await post(host.url('sleepy'), signedPost('hmac-sha256', SECRET, { id: nextId() }));
    expect(response.status).to.equal(403);
    expect(response.body).to.deep.include({ error: 'partner_disabled' });
  });

  it('answers 415 to a body that is not declared as JSON', async () => {
    const request = signedPost('hmac-sha256', SECRET, { id: nextId() });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) {
      const response = await post(host.url('acme'), { ...request, headers: { ...request.headers, 'content-type': type } });
      expect(response.status, type).to.equal(415);
    }
    const vendor = await post(host.url('acme'), { ...request, headers: { ...request.headers, 'content-type': 'application/vnd.acme+json; charset=utf-8' } });
    expect(vendor.status).to.equal(202);
  });

  it('answers 413 to a body over the limit and closes the connection', async () => {
    const request = signedPost('hmac-sha256', SECRET, { id: nextId(), pad: 'x'.repeat(1024 * 1024) });
    const response = await post(host.url('acme'), request);
    expect(response.status).to.equal(413);
    expect(response.body.error).to.equal('payload_too_large');
    expect(response.headers.get('connection')).to.equal('close');
  });

  it('answers 401 to a bad signature without saying which secret was tried', async () => {
    const id = nextId();
    const request = signedPost('hmac-sha256', 'another-secret-0123456789', { id });
    const response = await post(host.url('acme'), request);
    expect(response.status).to.equal(401);
    expect(response.body).to.deep.equal({ error: 'signature_invalid', message: 'the request signature could not be verified' });
    const missing = await post(host.url('acme'), { body: request.body, headers: { 'content-type': 'application/json' } });
    expect(missing.status).to.equal(401);
    expect(missing.body.error).to.equal('signature_missing');
    expect(await outboxRows(id)).to.have.length(0);
  });

  it('answers 400 to a signed body that is not JSON or has no event id', async () => {
    const broken = signedPost('hmac-sha256', SECRET, null, { body: '{"id": "x",', id: '' });
    delete broken.headers['x-webhook-id'];
    expect((await post(host.url('acme'), broken)).body.error).to.equal('invalid_json');
    const noId = signedPost('hmac-sha256', SECRET, { type: 'contact.updated' });
    delete noId.headers['x-webhook-id'];
    const response = await post(host.url('acme'), noId);
    expect(response.status).to.equal(400);
    expect(response.body.error).to.equal('missing_event_id');
    const tooLong = await post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id: 'x'.repeat(192) }));
    expect(tooLong.status).to.equal(400);
    expect(tooLong.body.error).to.equal('invalid_event_id');
    const unsafe = signedPost('hmac-sha256', SECRET, null, { body: '{"id": 12345678901234567890}', id: '' });
    delete unsafe.headers['x-webhook-id'];
    expect((await post(host.url('acme'), unsafe)).body.error).to.equal('invalid_event_id');
  });

  it('accepts exactly one of 50 identical deliveries sent at once', async () => {
    const id = nextId();
    const request = signedPost('hmac-sha256', SECRET, { id, type: 'payment.processed' });
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(host.url('acme'), request)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).to.have.length(1);
    expect(statuses.filter((s) => s === 200)).to.have.length(49);
    expect(await outboxRows(id)).to.have.length(1);
    expect(await db().knex('webhook_dedupe').where({ partner: 'acme', event_id: id })).to.have.length(1);
  });

  it('accepts 200 different events sent at once, each with its own row', async () => {
    const ids = Array.from({ length: 200 }, () => nextId());
    const responses = await Promise.all(ids.map((id) => post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'burst' }))));
    expect(responses.every((r) => r.status === 202)).to.equal(true);
    const rows = await db().knex('webhook_outbox').where({ partner: 'acme', event_type: 'burst' }).count({ n: '*' });
    expect(Number(rows[0]!.n)).to.equal(200);
  });

  it('never logs the secret or the signature', async () => {
    await post(host.url('acme'), signedPost('hmac-sha256', 'wrong-secret-abcdefghijklmnop', { id: nextId() }));
    const logged = JSON.stringify(host.logger.lines);
    expect(logged).not.to.include(SECRET);
    expect(logged).not.to.include('sha256=');
    expect(host.logger.lines.some((l) => l.fields.reason === 'signature_invalid' && l.fields.partner === 'acme')).to.equal(true);
  });
});
