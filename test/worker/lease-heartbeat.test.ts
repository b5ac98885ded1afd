import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const SECRET = 'lease-secret-0123456789abcdef';

describeEachDatabase('leases of a living process', (db) => {
  let host: TestHost | undefined;
  after(async () => host?.close());

  it('keeps events that wait in memory longer than the lease, so a slow queue never turns them dead', async function () {
    this.timeout(60_000);
    // 40 events × 150 ms one at a time is 6 s of waiting for the last ones, six times the lease.
    host = await startTestHost(db().knex, {
      processing: { concurrency: 1, batchSize: 1, claimMs: 1000, handlerTimeoutMs: 500, maxAttempts: 3, pollIntervalMs: 20, maxPollIntervalMs: 100 },
    });
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    const ids = Array.from({ length: 40 }, (_, i) => `slow_${i}`);
    for (const id of ids) expect((await post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'slow' }))).status).to.equal(202);
    let calls = 0;
    host.plugin.on('slow', async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 150));
    });
    await host.plugin.start();

    const rows = await waitFor(async () => {
      const r: Array<{ status: string; attempts: number }> = await db().knex('webhook_outbox').whereIn('event_id', ids).select('status', 'attempts');
      return r.every((row) => row.status === 'done' || row.status === 'dead') ? r : undefined;
    }, 30_000, 'every event to finish');
    expect(rows.filter((r) => r.status === 'dead')).to.deep.equal([]);
    expect(rows.every((r) => r.attempts === 1), 'no attempt was spent on waiting').to.equal(true);
    expect(calls).to.equal(40);
  });
});
