import { expect } from 'chai';
import { spawnChildHost, type ChildHost } from '../helpers/child-host.js';
import { PARTNER, paymentEvent, prepareSharedDatabase } from '../helpers/crash-setup.js';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, type SignedPost } from '../helpers/requests.js';

const SECRET = 'race-secret-0123456789abcdef';
const COPIES = 40;

async function statusesOf(sends: Array<Promise<{ status: number }>>): Promise<{ accepted: number; duplicate: number; other: number[] }> {
  const statuses = (await Promise.all(sends)).map((a) => a.status);
  return {
    accepted: statuses.filter((s) => s === 202).length,
    duplicate: statuses.filter((s) => s === 200).length,
    other: statuses.filter((s) => s !== 202 && s !== 200),
  };
}

/**
 * Issue 14 item 6: the dedupe race. With several commits in flight (each request its own
 * transaction), the copies of one event race for the same dedupe key in different transactions:
 * the unique key must let exactly one of them through.
 */
describeEachDatabase('the same event sent concurrently, several commits in flight', (db) => {
  let host: TestHost;
  before(async () => {
    host = await startTestHost(db().knex, { ingest: { maxConcurrentCommits: 4, maxBatchSize: 1 } });
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
  });
  after(async () => host?.close());

  it(`answers one 202 and ${COPIES - 1} duplicates to ${COPIES} copies of one event id`, async () => {
    const request = signedPost('hmac-sha256', SECRET, { id: 'race-1', type: 't' });
    const result = await statusesOf(Array.from({ length: COPIES }, () => post(host.url('acme'), request)));
    expect(result).to.deep.equal({ accepted: 1, duplicate: COPIES - 1, other: [] });
    expect(await db().knex('webhook_outbox').where({ partner: 'acme', event_id: 'race-1' })).to.have.length(1);
  });

  it(`answers one 202 to ${COPIES} copies of one body under different unsigned ids`, async () => {
    const captured = signedPost('hmac-sha256', SECRET, { type: 'payment.processed', amount: 5 }, { id: 'race-body-0' });
    const copies: SignedPost[] = Array.from({ length: COPIES }, (_, i) => ({ ...captured, headers: { ...captured.headers, 'x-webhook-id': `race-body-${i}` } }));
    const result = await statusesOf(copies.map((c) => post(host.url('acme'), c)));
    expect(result).to.deep.equal({ accepted: 1, duplicate: COPIES - 1, other: [] });
    expect(await db().knex('webhook_outbox').where({ partner: 'acme' }).andWhere('event_id', 'like', 'race-body-%')).to.have.length(1);
  });
});

// Two processes sharing one database is a MySQL/MariaDB deployment; SQLite is one host's file.
(process.env.WEBHOOKS_TEST_MYSQL_URL ? describe : describe.skip)('the same event sent concurrently to two processes on one MariaDB database', () => {
  let db: TestDatabase;
  const children: ChildHost[] = [];
  before(async function () {
    this.timeout(30_000);
    db = await createTestDatabase('mysql');
    await prepareSharedDatabase(db.knex);
    for (let i = 0; i < 2; i += 1) children.push(await spawnChildHost(db.url, { MAX_CONCURRENT_COMMITS: '4', MAX_BATCH_SIZE: '1' }));
  });
  after(async () => {
    await Promise.all(children.map((c) => c.kill()));
    await db?.destroy();
  });

  it('answers exactly one 202 across both processes for each event id', async function () {
    this.timeout(60_000);
    for (let round = 0; round < 5; round += 1) {
      const id = `two-procs-${round}`;
      const result = await statusesOf(Array.from({ length: COPIES }, (_, i) => post(children[i % 2]!.url(PARTNER), paymentEvent(id))));
      expect(result, id).to.deep.equal({ accepted: 1, duplicate: COPIES - 1, other: [] });
    }
    const [{ n }] = await db.knex('webhook_outbox').where('event_id', 'like', 'two-procs-%').count({ n: '*' });
    expect(Number(n)).to.equal(5);
  });
});
