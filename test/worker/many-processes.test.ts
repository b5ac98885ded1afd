import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { spawnChildHost, type ChildHost } from '../helpers/child-host.js';
import { PARTNER, prepareSharedDatabase, sendEvents, statusCounts } from '../helpers/crash-setup.js';
import { waitFor } from '../helpers/requests.js';

// Several CRM processes sharing one database is a MySQL/MariaDB deployment; SQLite is one host's file.
(process.env.WEBHOOKS_TEST_MYSQL_URL ? describe : describe.skip)('three processes on one MariaDB database', () => {
  let db: TestDatabase;
  const children: ChildHost[] = [];

  before(async function () {
    this.timeout(30_000);
    db = await createTestDatabase('mysql');
    await prepareSharedDatabase(db.knex);
  });
  after(async () => {
    await Promise.all(children.map((c) => c.kill()));
    await db?.destroy();
  });

  it('applies 3,000 events spread across them exactly once, leaving nothing processing', async function () {
    this.timeout(180_000);
    // A small in-memory queue sends most events through the outbox pollers, which then compete
    // for the same rows with SKIP LOCKED.
    for (let i = 0; i < 3; i += 1) {
      children.push(await spawnChildHost(db.url, { MEMORY_QUEUE_LIMIT: '16', CONCURRENCY: '4', HANDLER_DELAY_MS: '2', CLAIM_MS: '10000', HANDLER_TIMEOUT_MS: '5000' }));
    }
    const ids = Array.from({ length: 3000 }, (_, i) => `multi_${Date.now()}_${i}`);
    const accepted = await sendEvents(ids, (i) => children[i % 3]!.url(PARTNER), 24);
    expect(accepted).to.have.length(3000);

    const counts = await waitFor(async () => {
      const c = await statusCounts(db.knex);
      return c.done === 3000 ? c : undefined;
    }, 120_000, 'all 3,000 events to be done');
    expect(counts).to.deep.equal({ done: 3000 });

    const effects: Array<{ event_id: string; pid: number }> = await db.knex('test_effects').select('event_id', 'pid');
    expect(effects).to.have.length(3000);
    expect(new Set(effects.map((e) => e.event_id)).size).to.equal(3000);
    const pids = new Set(effects.map((e) => e.pid));
    expect(pids.size, 'every process did part of the work').to.equal(3);
    await Promise.all(children.map((c) => c.stop()));
    expect(await statusCounts(db.knex)).to.deep.equal({ done: 3000 });
  });
});
