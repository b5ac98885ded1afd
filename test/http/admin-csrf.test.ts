import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { seedOutboxRow } from '../observe/support.js';

const SESSION = 'session=admin-session-7c1d';

/**
 * Issue 9 item 7: with a cookie-based authorize (as most CRMs have), a page on another site can make
 * the admin's browser send a form POST here, cookie included. These requests are what such a page
 * can produce; none may change a row.
 */
describeEachDatabase('admin writes against cross-site requests', (db) => {
  let host: TestHost;
  const statusOf = async (id: number) => ((await db().knex('webhook_outbox').where('id', id).first()) as { status: string }).status;

  before(async () => {
    host = await startTestHost(db().knex, { authorize: (ctx) => ctx.get('Cookie').includes(SESSION) });
    await host.plugin.partners.add({ slug: 'acme' });
  });
  after(async () => {
    await host?.close();
  });

  const origin = () => new URL(host.baseUrl).origin;
  const postAs = (path: string, headers: Record<string, string>, body = '') =>
    fetch(`${host.baseUrl}/_admin${path}`, { method: 'POST', headers: { cookie: SESSION, ...headers }, body });

  it('refuses a cross-site form POST carrying the session cookie, and replays nothing', async () => {
    const dead = await seedOutboxRow(db().knex, { eventId: 'csrf-form', status: 'dead' });
    for (const path of [`/outbox/${dead}/replay`, '/outbox/replay?status=dead']) {
      const form = await postAs(path, { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, 'x=1');
      expect(form.status, path).to.equal(403);
      expect(await form.json()).to.deep.equal({ error: 'cross_origin', message: 'admin writes are accepted from the same origin only' });
    }
    expect(await statusOf(dead)).to.equal('dead');
  });

  it('refuses form content types even without an Origin header (old browsers, privacy extensions)', async () => {
    const dead = await seedOutboxRow(db().knex, { eventId: 'csrf-no-origin', status: 'dead' });
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
      const answer = await postAs(`/outbox/${dead}/replay`, { 'content-type': type }, 'ids=1');
      expect(answer.status, type).to.equal(415);
    }
    expect(await statusOf(dead)).to.equal('dead');
  });

  it('refuses JSON from another origin or a cross-site fetch, and a disable of a partner', async () => {
    const dead = await seedOutboxRow(db().knex, { eventId: 'csrf-json', status: 'dead' });
    const json = { 'content-type': 'application/json' };
    expect((await postAs(`/outbox/${dead}/replay`, { ...json, origin: 'https://evil.example' })).status).to.equal(403);
    expect((await postAs(`/outbox/${dead}/replay`, { ...json, origin: 'null' })).status).to.equal(403);
    expect((await postAs(`/outbox/${dead}/replay`, { ...json, 'sec-fetch-site': 'same-site' })).status).to.equal(403);
    expect((await postAs('/partners/acme/disable', { ...json, origin: 'https://evil.example' })).status).to.equal(403);
    expect(await statusOf(dead)).to.equal('dead');
    expect((await host.plugin.partners.show('acme')).enabled).to.equal(true);
  });

  it('answers a CORS preflight without granting anything', async () => {
    const answer = await fetch(`${host.baseUrl}/_admin/outbox/1/replay`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(answer.status).to.equal(204);
    const granted = [...answer.headers.keys()].filter((name) => name.startsWith('access-control-'));
    expect(granted).to.deep.equal([]);
  });

  it('accepts the same write as JSON from the page\'s own origin', async () => {
    const dead = await seedOutboxRow(db().knex, { eventId: 'csrf-ok', status: 'dead' });
    const answer = await postAs(`/outbox/${dead}/replay`, { 'content-type': 'application/json', origin: origin(), 'sec-fetch-site': 'same-origin' });
    expect(answer.status).to.equal(200);
    expect(await statusOf(dead)).to.equal('pending');
  });
});
