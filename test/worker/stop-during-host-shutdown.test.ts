import { expect } from 'chai';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { recordingLogger } from '../helpers/logger.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const SECRET = 'shutdown-secret-0123456789abcdef';

/** Collects unhandled rejections while `work` runs (and a moment after, for late ones). */
async function unhandledDuring(work: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

describeEachDatabase('stop() while the host closes its database', (db) => {
  let receiving: TestHost;
  before(async () => {
    receiving = await startTestHost(db().knex);
    await receiving.plugin.partners.add({ slug: 'acme', secret: SECRET });
  });
  after(async () => receiving?.close());

  /** A worker process of its own, on a pool of its own that the "host" destroys, holding `count` events. */
  async function workerHolding(count: number, prefix: string) {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
    for (const id of ids) expect((await post(receiving.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'slow' }))).status).to.equal(202);
    const knex = db().open();
    const logger = recordingLogger();
    const plugin = createWebhooksPlugin({ knex, logger, instanceId: `shutdown-${prefix}`, processing: { concurrency: 1, batchSize: 1, pollIntervalMs: 20, stopTimeoutMs: 2000 } });
    plugin.on('slow', () => new Promise((resolve) => setTimeout(resolve, 100)));
    await plugin.start();
    await waitFor(async () => {
      const held = await db().knex('webhook_outbox').whereIn('event_id', ids).where({ status: 'processing' }).count({ n: '*' });
      return Number(held[0]!.n) === count ? true : undefined;
    }, 10_000, 'the worker to claim every event');
    return { ids, knex, logger, plugin };
  }

  it('gives queued events back when the host destroys knex while stop() runs, with no error line or unhandled rejection', async function () {
    this.timeout(30_000);
    const worker = await workerHolding(20, 'stop-first');
    const unhandled = await unhandledDuring(async () => {
      const stopping = worker.plugin.stop();
      await new Promise((resolve) => setImmediate(resolve)); // the host's shutdown goes on at once
      await Promise.all([stopping, worker.knex.destroy()]);
    });
    expect(unhandled).to.deep.equal([]);
    expect(worker.logger.lines.filter((l) => l.level === 'error')).to.deep.equal([]);
    if (db().kind === 'mysql') {
      // The pool still had free connections when stop() began: nothing may stay claimed. (SQLite's
      // one connection is held by the running handler, so there the rows wait for their claim.)
      const rows: Array<{ status: string }> = await db().knex('webhook_outbox').whereIn('event_id', worker.ids).select('status');
      expect(rows.filter((r) => r.status === 'processing')).to.deep.equal([]);
    }
  });

  it('stops quietly when the host destroyed knex before calling stop()', async function () {
    this.timeout(30_000);
    const worker = await workerHolding(10, 'destroy-first');
    const unhandled = await unhandledDuring(async () => {
      await worker.knex.destroy();
      await worker.plugin.stop();
    });
    expect(unhandled).to.deep.equal([]);
    expect(worker.logger.lines.filter((l) => l.level === 'error')).to.deep.equal([]);
  });
});
