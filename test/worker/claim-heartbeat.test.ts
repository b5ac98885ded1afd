import { expect } from 'chai';
import { fromDbTime } from '../../plugin/store/time.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const SECRET = 'heartbeat-secret-0123456789abcdef';

describeEachDatabase('claim heartbeat', (db) => {
  let host: TestHost | undefined;
  after(async () => host?.close());

  it('renews the claims of events waiting in memory on its own timer, however long the poller waits between polls', async function () {
    this.timeout(90_000);
    const { knex, kind } = db();
    // One poll claims all 40 events; they then wait in memory (300 ms each, one at a time) for
    // four times the 3 s claim, while the idle poller backs off to 20 s between polls.
    host = await startTestHost(knex, {
      processing: { concurrency: 1, batchSize: 1, claimMs: 3000, handlerTimeoutMs: 500, maxAttempts: 3, pollIntervalMs: 100, maxPollIntervalMs: 20_000 },
    });
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    const ids = Array.from({ length: 40 }, (_, i) => `held_${i}`);
    for (const id of ids) expect((await post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'slow' }))).status).to.equal(202);
    host.plugin.on('slow', () => new Promise((resolve) => setTimeout(resolve, 300)));
    await host.plugin.start();

    const expiredWhileHeld = new Set<string>();
    const rows = await waitFor(async () => {
      const held: Array<{ event_id: string; locked_until: string | Date }> = await knex('webhook_outbox')
        .where({ status: 'processing' })
        .select('event_id', 'locked_until')
        .options(kind === 'mysql' ? { dateStrings: true } : {});
      for (const row of held) if (fromDbTime(row.locked_until).getTime() < Date.now() - 200) expiredWhileHeld.add(row.event_id);
      const all: Array<{ status: string; attempts: number }> = await knex('webhook_outbox').whereIn('event_id', ids).select('status', 'attempts');
      return all.every((r) => r.status === 'done') ? all : undefined;
    }, 60_000, 'every held event to be done');
    expect([...expiredWhileHeld], 'claims of a living process that expired').to.deep.equal([]);
    expect(rows.every((r) => Number(r.attempts) === 1)).to.equal(true);
  });
});
