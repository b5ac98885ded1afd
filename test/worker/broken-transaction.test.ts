import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const SECRET = 'deadlock-secret-0123456789';

// InnoDB ends a whole transaction on a deadlock; SQLite has no deadlocks to swallow.
(process.env.WEBHOOKS_TEST_MYSQL_URL ? describe : describe.skip)('a handler that swallows a deadlock [MariaDB/MySQL]', () => {
  let db: TestDatabase;
  let host: TestHost | undefined;

  before(async function () {
    this.timeout(30_000);
    db = await createTestDatabase('mysql');
    await db.knex.schema.createTable('crm_accounts', (t) => {
      t.integer('id').primary();
      t.integer('balance').notNullable();
    });
    await db.knex('crm_accounts').insert(Array.from({ length: 102 }, (_, id) => ({ id, balance: 0 })));
  });
  after(async () => {
    await host?.close();
    await db?.destroy();
  });

  it('does not mark the event done, because the transaction its earlier writes were in is gone', async function () {
    this.timeout(30_000);
    host = await startTestHost(db.knex, { processing: { backoff: { initialMs: 50, factor: 1, jitter: 0 }, pollIntervalMs: 20, maxPollIntervalMs: 50 } });
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    let holdsA!: () => void;
    const handlerHoldsA = new Promise<void>((resolve) => (holdsA = resolve));
    let attempts = 0;
    host.plugin.on('transfer', async (_event, { trx }) => {
      attempts += 1;
      await trx('crm_accounts').where({ id: 0 }).increment('balance', 10); // row A
      if (attempts > 1) return;
      holdsA();
      try {
        await trx('crm_accounts').where({ id: 1 }).increment('balance', 10); // row B: held by the other transaction
      } catch {
        // a handler that swallows the deadlock and carries on, as real code sometimes does
      }
    });
    await host.plugin.start();

    // A bigger transaction holds row B, so InnoDB picks the handler's as the deadlock victim.
    const other = await db.knex.transaction();
    await other('crm_accounts').where('id', '>=', 1).increment('balance', 1);
    const id = `deadlock_${Date.now()}`;
    expect((await post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'transfer' }))).status).to.equal(202);
    await handlerHoldsA;
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the handler block on row B
    await other('crm_accounts').where({ id: 0 }).increment('balance', 1); // closes the cycle
    await other.commit();

    const row = await waitFor(async () => {
      const r = await db.knex('webhook_outbox').where({ event_id: id }).first();
      return r?.status === 'done' ? r : undefined;
    }, 10_000, 'the retry to succeed');
    expect(row.attempts, 'the first attempt was failed, not marked done').to.equal(2);
    const accountA = await db.knex('crm_accounts').where({ id: 0 }).first();
    // 1 from the other transaction, 10 from the successful second attempt; the first attempt's
    // increment was rolled back with the deadlock and must not count as done.
    expect(accountA.balance).to.equal(11);
  });
});
