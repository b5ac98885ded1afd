import { expect } from 'chai';
import type { Context } from 'koa';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost } from '../helpers/requests.js';
import { seedOutboxRow } from '../observe/support.js';

const SECRET = 'admin-known-secret-5f2c9a7e41d3';
const ROTATED = 'admin-rotated-secret-8b1e6d0c93aa';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

describeEachDatabase('admin routes', (db) => {
  let host: TestHost;
  let closed: TestHost;
  let decide: (ctx: Context) => unknown = () => true;
  const asked: string[] = [];
  const texts: string[] = [];

  async function call(target: TestHost, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
    // Admin writes are JSON (the CSRF guard refuses anything else), with or without a body.
    const init: RequestInit = { method, headers: method === 'POST' ? { 'content-type': 'application/json' } : {} };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await fetch(`${target.baseUrl}/_admin${path}`, init);
    const text = await response.text();
    texts.push(text);
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
  }
  const admin = (method: 'GET' | 'POST', path: string, body?: unknown) => call(host, method, path, body);

  const ROUTES: Array<['GET' | 'POST', string, string]> = [
    ['GET', '/partners', 'webhooks.partners.read'],
    ['GET', '/outbox', 'webhooks.outbox.read'],
    ['GET', '/outbox/1', 'webhooks.outbox.read'],
    ['POST', '/outbox/1/replay', 'webhooks.outbox.replay'],
    ['POST', '/outbox/replay?status=dead', 'webhooks.outbox.replay'],
  ];

  before(async () => {
    host = await startTestHost(db().knex, {
      authorize: (ctx) => {
        asked.push(String(ctx.state.webhooksPermission));
        return decide(ctx) as boolean;
      },
    });
    closed = await startTestHost(db().knex);
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    await host.plugin.partners.rotate('acme', ROTATED);
    await host.plugin.partners.add({ slug: 'beta', secret: SECRET, scheme: 'hmac-sha256' });
  });
  beforeEach(() => {
    decide = () => true;
    asked.length = 0;
  });
  after(async () => {
    await host?.close();
    await closed?.close();
  });

  it('answers 401 on every route when the host gave no authorize', async () => {
    for (const [method, path] of ROUTES) {
      const answer = await call(closed, method, path);
      expect(answer.status, path).to.equal(401);
      expect(answer.body.error, path).to.equal('unauthorized');
    }
  });

  it('answers 401 when authorize denies, throws, rejects or answers anything but true', async () => {
    const refusals: Array<(ctx: Context) => unknown> = [
      () => false,
      () => {
        throw new Error('session store down');
      },
      async () => {
        throw new Error('async failure');
      },
      async () => false,
      () => 'yes',
      () => undefined,
    ];
    for (const refuse of refusals) {
      decide = refuse;
      for (const [method, path] of ROUTES) {
        const answer = await admin(method, path);
        expect(answer.status, `${method} ${path}`).to.equal(401);
        expect(answer.body).to.have.property('error', 'unauthorized');
        expect(answer.body).to.have.property('message').that.is.a('string');
      }
    }
    expect(host.logger.lines.some((l) => l.msg.startsWith('authorize threw'))).to.equal(true);
  });

  it('tells authorize which permission each route needs', async () => {
    decide = () => false;
    for (const [method, path] of ROUTES) await admin(method, path);
    expect(asked).to.deep.equal(ROUTES.map(([, , permission]) => permission));
  });

  it('lists partners without any secret when authorize allows (also as a promise)', async () => {
    decide = async () => true;
    const answer = await admin('GET', '/partners');
    expect(answer.status).to.equal(200);
    const partners = answer.body.partners as Array<Record<string, unknown>>;
    expect(partners.map((p) => p.slug)).to.deep.equal(['acme', 'beta']);
    expect(partners[0]!.secrets).to.have.length(2);
    expect(answer.text).not.to.include(SECRET);
    expect(answer.text).not.to.include(ROTATED);
  });

  it('lists outbox rows with filters and validates the query', async () => {
    const request = signedPost('hmac-sha256', SECRET, { id: 'admin-evt-1', type: 'contact.updated' });
    expect((await post(host.url('acme'), request)).status).to.equal(202);
    await seedOutboxRow(db().knex, { partner: 'beta', eventId: 'beta-pending', status: 'pending' });
    await seedOutboxRow(db().knex, { partner: 'acme', eventId: 'acme-done', status: 'done' });

    const all = await admin('GET', '/outbox');
    expect(all.status).to.equal(200);
    expect((all.body.rows as unknown[]).length).to.equal(3);
    const pendingAcme = await admin('GET', '/outbox?status=pending&partner=acme&limit=5');
    expect((pendingAcme.body.rows as Array<{ eventId: string }>).map((r) => r.eventId)).to.deep.equal(['admin-evt-1']);
    const limited = await admin('GET', '/outbox?limit=1');
    expect((limited.body.rows as Array<{ eventId: string }>).map((r) => r.eventId)).to.deep.equal(['acme-done']);

    for (const bad of ['status=stuck', 'limit=0', 'limit=abc', 'limit=1001', 'limit=2.5', 'partner=Not%20A%20Slug', 'status=dead&status=done']) {
      const answer = await admin('GET', `/outbox?${bad}`);
      expect(answer.status, bad).to.equal(400);
      expect(answer.body.error, bad).to.equal('bad_request');
    }
  });

  // Issue 16: nothing indexes event_id for every row. A search finds an unfinished event through
  // (partner, open_event_id) and a done one through its dedupe row, under every partner with rows,
  // including partners that no longer exist. Rows are seeded with their dedupe rows, as ingest writes them.
  it('finds an event id under every partner that has it, done or not, newest first, and counts the same rows', async () => {
    const older = await seedOutboxRow(db().knex, { partner: 'acme', eventId: 'shared-id', status: 'done', dedupe: true });
    await seedOutboxRow(db().knex, { partner: 'beta', eventId: 'other-id', status: 'pending', dedupe: true });
    const newer = await seedOutboxRow(db().knex, { partner: 'gone-partner', eventId: 'shared-id', status: 'dead', dedupe: true });
    const found = await admin('GET', '/outbox?eventId=shared-id');
    expect(found.status).to.equal(200);
    expect((found.body.rows as Array<{ id: number; partner: string }>).map((r) => [r.id, r.partner])).to.deep.equal([
      [newer, 'gone-partner'],
      [older, 'acme'],
    ]);
    expect((await admin('GET', '/outbox/count?eventId=shared-id')).body).to.deep.equal({ count: 2 });
    expect((await admin('GET', '/outbox?eventId=shared-id&status=dead')).body.rows).to.have.length(1);
    expect((await admin('GET', '/outbox?eventId=shared-id&partner=beta')).body.rows).to.deep.equal([]);
    expect((await admin('GET', '/outbox?eventId=no-such-id')).body).to.deep.equal({ rows: [], next: null });
  });

  // The done path of that search rests on ingest writing an event's dedupe row and outbox row with
  // one received_at: an event that came through the real receive path is found once it is done.
  it('finds by id an event received through the receive route once it is done', async () => {
    const request = signedPost('hmac-sha256', SECRET, { id: 'received-then-done', type: 'contact.updated' });
    expect((await post(host.url('acme'), request)).status).to.equal(202);
    await db().knex('webhook_outbox').where({ event_id: 'received-then-done' }).update({ status: 'done', locked_by: null, locked_until: null });
    const found = await admin('GET', '/outbox?eventId=received-then-done');
    expect((found.body.rows as Array<{ partner: string; status: string }>).map((r) => [r.partner, r.status])).to.deep.equal([['acme', 'done']]);
  });

  it('shows one row with its payload and redacted headers, never a signature', async () => {
    const listed = await admin('GET', '/outbox?partner=acme&status=pending');
    const { id } = (listed.body.rows as Array<{ id: number }>)[0]!;
    const shown = await admin('GET', `/outbox/${id}`);
    expect(shown.status).to.equal(200);
    expect(shown.body).to.include({ id, partner: 'acme', eventId: 'admin-evt-1', status: 'pending' });
    expect(shown.body.payload).to.deep.equal({ id: 'admin-evt-1', type: 'contact.updated' });
    expect((shown.body.headers as Record<string, string>)['x-webhook-signature']).to.equal('[redacted]');
    expect((await admin('GET', '/outbox/999999')).status).to.equal(404);
    expect((await admin('GET', '/outbox/abc')).body.error).to.equal('bad_request');
  });

  it('replays one dead row to pending, and refuses rows that are not dead', async () => {
    const dead = await seedOutboxRow(db().knex, { partner: 'acme', eventId: 'acme-dead-1', status: 'dead', attempts: 10, ageMs: 60_000 });
    const answer = await admin('POST', `/outbox/${dead}/replay`);
    expect(answer.status).to.equal(200);
    expect(answer.body).to.deep.equal({ replayed: [dead], skipped: [] });
    const row = await db().knex('webhook_outbox').where('id', dead).first();
    expect(row).to.include({ status: 'pending', attempts: 0 });

    const done = await seedOutboxRow(db().knex, { partner: 'acme', eventId: 'acme-done-2', status: 'done' });
    const refused = await admin('POST', `/outbox/${done}/replay`);
    expect(refused.status).to.equal(409);
    expect(refused.body.error).to.equal('conflict');
    expect((await db().knex('webhook_outbox').where('id', done).first()).status).to.equal('done');
    expect((await admin('POST', '/outbox/999999/replay')).status).to.equal(404);
  });

  it('replays every dead row of one partner, leaving the others dead', async () => {
    const acme = [
      await seedOutboxRow(db().knex, { partner: 'acme', eventId: 'bulk-a1', status: 'dead' }),
      await seedOutboxRow(db().knex, { partner: 'acme', eventId: 'bulk-a2', status: 'dead' }),
    ];
    const beta = await seedOutboxRow(db().knex, { partner: 'beta', eventId: 'bulk-b1', status: 'dead' });
    const answer = await admin('POST', '/outbox/replay?status=dead&partner=acme');
    expect(answer.status).to.equal(200);
    expect(answer.body).to.include({ replayed: 2, interrupted: false });
    const statuses = await db().knex('webhook_outbox').select('id', 'status').whereIn('id', [...acme, beta]).orderBy('id');
    expect(statuses.map((r: { status: string }) => r.status)).to.deep.equal(['pending', 'pending', 'dead']);

    expect((await admin('POST', '/outbox/replay')).status).to.equal(400);
    expect((await admin('POST', '/outbox/replay?status=pending')).status).to.equal(400);
    expect((await admin('POST', '/outbox/replay?status=dead&partner=NOPE!')).status).to.equal(400);
  });

  it('replays a list of ids given as a JSON body', async () => {
    const dead = await seedOutboxRow(db().knex, { partner: 'beta', eventId: 'ids-b2', status: 'dead' });
    const answer = await admin('POST', '/outbox/replay', { ids: [dead, 999999] });
    expect(answer.status).to.equal(200);
    expect(answer.body).to.deep.equal({ replayed: [dead], skipped: [{ id: 999999, reason: 'not found' }] });
    expect((await admin('POST', '/outbox/replay', '{"ids": [1,')).body.error).to.equal('bad_request');
    expect((await admin('POST', '/outbox/replay', { ids: ['x'] })).status).to.equal(400);
    expect((await admin('POST', '/outbox/replay?status=dead', { ids: [dead] })).status).to.equal(400);
  });

  it('never shows a partner secret in any admin answer', () => {
    expect(texts.length).to.be.above(30);
    for (const text of texts) {
      expect(text).not.to.include(SECRET);
      expect(text).not.to.include(ROTATED);
    }
  });
});
