import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';
import { seedOutboxRow } from './support.js';

const SECRET = 'health-secret-0123456789abcdef';
const HOUR = 60 * 60 * 1000;

async function getHealth(host: TestHost): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${host.baseUrl}/_health`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, ms: Date.now() - started };
}

describeEachDatabase('GET /_health', (db) => {
  let host: TestHost;

  before(async () => {
    // cacheMs 0: each test changes the rows and looks at the figures at once.
    host = await startTestHost(db().knex, { health: { maxPendingAgeSeconds: 600, timeoutMs: 500, cacheMs: 0 } });
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
  });
  after(async () => host?.close());

  it('answers 200 with the figures while the database answers and nothing is late', async () => {
    expect((await post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id: 'health-1', type: 't' }))).status).to.equal(202);
    await seedOutboxRow(db().knex, { eventId: 'health-dead', status: 'dead' });
    const { status, body } = await getHealth(host);
    expect(status).to.equal(200);
    expect(body).to.include({ status: 'ok', backlog: 1, dead: 1, queueDepth: 0 });
    expect(body.database).to.have.property('reachable', true);
    expect((body.database as { latencyMs: unknown }).latencyMs).to.be.a('number');
    expect(body.oldestPendingAgeSeconds).to.be.within(0, 5);
  });

  it('stays 200 while an old event only waits for its scheduled retry', async () => {
    await seedOutboxRow(db().knex, { eventId: 'health-retrying', status: 'pending', ageMs: 3 * HOUR, dueInMs: HOUR, attempts: 6 });
    const { status, body } = await getHealth(host);
    expect(status).to.equal(200);
    expect(body.oldestPendingAgeSeconds).to.be.at.least(3 * 3600 - 5);
    expect(body.backlog).to.equal(2);
  });

  it('answers 503 degraded when a pending event has waited longer than maxPendingAgeSeconds', async () => {
    await seedOutboxRow(db().knex, { eventId: 'health-stuck', status: 'pending', ageMs: 2 * HOUR });
    const { status, body } = await getHealth(host);
    expect(status).to.equal(503);
    expect(body).to.include({ status: 'degraded', backlog: 3 });
    expect(body.overdueSeconds).to.be.at.least(2 * 3600 - 5);
    expect(body.database).to.have.property('reachable', true);
  });

  it('serves a flood of probes from one read of the database figures per health.cacheMs', async () => {
    const cached = await startTestHost(db().knex, { health: { cacheMs: 60_000 } });
    const statements: string[] = [];
    const record = (data: { sql: string }) => statements.push(data.sql);
    try {
      const first = await getHealth(cached);
      await seedOutboxRow(db().knex, { eventId: 'health-cached', status: 'dead' });
      db().knex.on('query', record);
      const again = await Promise.all([getHealth(cached), getHealth(cached), getHealth(cached)]);
      expect(statements).to.deep.equal([]);
      for (const probe of again) expect(probe.body).to.include({ status: first.body.status, dead: first.body.dead });
    } finally {
      db().knex.removeListener('query', record);
      await cached.close();
    }
  });

  it('answers 503 down when the database is unreachable', async () => {
    const knex = db().open();
    const orphan = await startTestHost(knex, { health: { timeoutMs: 300 } });
    try {
      await knex.destroy();
      const { status, body, ms } = await getHealth(orphan);
      expect(status).to.equal(503);
      expect(body).to.deep.include({ status: 'down', database: { reachable: false, latencyMs: null }, backlog: null, dead: null });
      expect(ms).to.be.below(300 + 700);
    } finally {
      await orphan.close();
    }
  });

  it('answers 503 within its timeout while the database hangs, and with figures once it answers again', async () => {
    const knex = db().open({ poolMax: 1 });
    const stuck = await startTestHost(knex, { health: { timeoutMs: 300 } });
    // The pool's only connection is held by an open transaction: every other query waits for it.
    const trx = await knex.transaction();
    let released = false;
    try {
      const { status, body, ms } = await getHealth(stuck);
      expect(status).to.equal(503);
      expect(body).to.include({ status: 'down' });
      expect(body.database).to.have.property('reachable', false);
      expect(ms).to.be.within(250, 300 + 700);
      await trx.rollback();
      released = true;
      // (Degraded rather than ok: an earlier test left an overdue event in this database.)
      const again = await waitFor(async () => {
        const health = await getHealth(stuck);
        return health.body.status === 'down' ? undefined : health;
      }, 5000, 'the database to be reachable again');
      expect(again.body).to.include({ status: 'degraded', backlog: 3 });
    } finally {
      if (!released) await trx.rollback();
      await stuck.close();
      await knex.destroy();
    }
  });
});
