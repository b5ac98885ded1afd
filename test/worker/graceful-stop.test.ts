import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const SECRET = 'stop-secret-0123456789abcdef';

describeEachDatabase('graceful stop', (db) => {
  let host: TestHost | undefined;
  let seq = 0;
  const nextId = () => `evt_s_${Date.now()}_${(seq += 1)}`;

  afterEach(async () => host?.close());

  async function hostWith(stopTimeoutMs: number) {
    // batchSize 1: one event runs, the others wait in memory (a batch would start them together).
    host = await startTestHost(db().knex, { processing: { concurrency: 1, batchSize: 1, stopTimeoutMs, pollIntervalMs: 20, maxPollIntervalMs: 50 } });
    if (!(await db().knex('webhook_partners').where({ slug: 'acme' }).first())) await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    return host;
  }
  const rowsOf = (ids: string[]) =>
    db().knex('webhook_outbox').whereIn('event_id', ids).orderBy('id').options({ dateStrings: true }).select('event_id', 'status', 'attempts', 'locked_by', 'locked_until');

  it('lets a slow handler finish when it ends within the stop timeout', async () => {
    const h = await hostWith(5000);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    h.plugin.on('slow', async () => {
      started();
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    await h.plugin.start();
    const id = nextId();
    await post(h.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'slow' }));
    await running;
    await h.plugin.stop();
    const [row] = await rowsOf([id]);
    expect(row).to.include({ status: 'done', locked_by: null });
  });

  it('gives back running and queued events when the stop timeout passes, so nothing keeps a live lease', async () => {
    const h = await hostWith(200);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    h.plugin.on('hang', () => {
      started();
      return new Promise(() => undefined); // never settles, and ignores its abort signal
    });
    // Accepted before processing starts: on SQLite a running handler's transaction holds the only
    // connection, so ingest would wait for it.
    const ids = [nextId(), nextId(), nextId()];
    for (const id of ids) expect((await post(h.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'hang' }))).status).to.equal(202);
    await h.plugin.start();
    await running;

    const before = Date.now();
    await h.plugin.stop();
    expect(Date.now() - before, 'stop() waits about its timeout, not forever').to.be.below(3000);

    const rows = await rowsOf(ids);
    expect(rows.map((r: { status: string }) => r.status)).to.deep.equal(['pending', 'pending', 'pending']);
    expect(rows.every((r: { locked_by: unknown; locked_until: unknown }) => r.locked_by === null && r.locked_until === null)).to.equal(true);
    // The one that ran keeps its attempt; the two that never started get theirs back.
    expect(rows.map((r: { attempts: number }) => r.attempts)).to.deep.equal([1, 0, 0]);

    await h.close();
    host = await startTestHost(db().knex, { processing: { pollIntervalMs: 20, maxPollIntervalMs: 50 } });
    host.plugin.on('hang', () => undefined);
    await host.plugin.start();
    await waitFor(async () => ((await rowsOf(ids)).every((r: { status: string }) => r.status === 'done') ? true : undefined), 5000, 'another instance to finish them');
  });
});
