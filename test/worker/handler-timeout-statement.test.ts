import { expect } from 'chai';
import type { Knex } from 'knex';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const SECRET = 'sleepy-secret-0123456789abcdef';

/** Statements of this database still sleeping on the server. */
async function sleepingStatements(db: TestDatabase): Promise<number> {
  const database = new URL(db.url).pathname.slice(1);
  const rows = await db.knex.raw("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'SELECT SLEEP(40)%'", [database]);
  return Number((rows as [[{ n: number | string }]])[0][0].n);
}

// SQLite runs a statement synchronously: nothing can still be running when a handler times out.
if (databaseKinds().includes('mysql')) {
  describe('a handler stuck in a statement [MariaDB/MySQL]', () => {
    let db: TestDatabase;
    let pool: Knex;
    let host: TestHost | undefined;
    before(async function () {
      this.timeout(30_000);
      db = await createTestDatabase('mysql');
    });
    after(async () => db?.destroy());
    afterEach(async function () {
      this.timeout(30_000);
      await host?.close();
      host = undefined;
      await pool?.destroy();
    });

    /** A host on a pool of two connections, whose 'sleepy' handler runs SELECT SLEEP(40) in its transaction. */
    async function sleepyHost(processing: Record<string, number>): Promise<TestHost> {
      pool = db.open({ poolMax: 2 });
      host = await startTestHost(pool, { processing: { concurrency: 2, batchSize: 1, maxAttempts: 1, pollIntervalMs: 20, ...processing } });
      if (!(await pool('webhook_partners').where({ slug: 'sleepy' }).first())) await host.plugin.partners.add({ slug: 'sleepy', secret: SECRET });
      host.plugin.on('sleepy', async (_event, { trx }) => {
        await trx.raw('SELECT SLEEP(40)');
      });
      await host.plugin.start();
      return host;
    }
    const send = (h: TestHost, id: string, type: string) => post(h.url('sleepy'), signedPost('hmac-sha256', SECRET, { id, type }));

    it('stops the statement at the handler timeout, so the pool keeps serving ingest', async function () {
      this.timeout(30_000);
      const h = await sleepyHost({ handlerTimeoutMs: 1000, claimMs: 5000 });
      // Two sleeping handlers hold both connections of the pool.
      for (const id of ['sleep-1', 'sleep-2']) expect((await send(h, id, 'sleepy')).status).to.equal(202);
      await waitFor(async () => ((await sleepingStatements(db)) === 2 ? true : undefined), 10_000, 'both handlers to sleep');
      const rows = await waitFor(async () => {
        const found: Array<{ status: string; last_error: string }> = await db.knex('webhook_outbox').whereIn('event_id', ['sleep-1', 'sleep-2']).select('status', 'last_error');
        return found.every((r) => r.status === 'dead') ? found : undefined;
      }, 10_000, 'both attempts to fail at the handler timeout');
      expect(rows.every((r) => r.last_error.includes('HandlerTimeoutError'))).to.equal(true);
      expect(await sleepingStatements(db), 'statements still running on the server').to.equal(0);
      for (const id of ['after-1', 'after-2', 'after-3']) expect((await send(h, id, 'plain')).status, id).to.equal(202);
    });

    it('bounds stop() when a handler is stuck in a statement, and gives its event back', async function () {
      this.timeout(30_000);
      const h = await sleepyHost({ handlerTimeoutMs: 30_000, claimMs: 60_000, stopTimeoutMs: 500 });
      expect((await send(h, 'stopped-asleep', 'sleepy')).status).to.equal(202);
      await waitFor(async () => ((await sleepingStatements(db)) === 1 ? true : undefined), 10_000, 'the handler to sleep');
      await h.plugin.stop(); // must return long before SLEEP(40) would (the test times out at 30 s)
      expect(await sleepingStatements(db), 'statements still running on the server').to.equal(0);
      const row = await db.knex('webhook_outbox').where({ event_id: 'stopped-asleep' }).first();
      expect(row.status).to.equal('pending');
    });
  });
}
