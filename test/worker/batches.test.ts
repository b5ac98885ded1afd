import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const SECRET = 'batch-secret-0123456789abcdef';

describeEachDatabase('events run in shared transactions', (db) => {
  let host: TestHost | undefined;
  let round = 0;

  before(async () => {
    await db().knex.schema.createTable('batch_effects', (t) => {
      t.increments('id');
      t.string('event_id', 191).notNullable();
    });
  });
  afterEach(async () => host?.close());

  /** Accepts `count` events while processing is off, so one worker then takes them as batches. */
  async function backlog(count: number, handlerOf: (ids: string[]) => Parameters<TestHost['plugin']['on']>[1]) {
    round += 1;
    host = await startTestHost(db().knex, {
      processing: { concurrency: 1, batchSize: 20, handlerTimeoutMs: 300, pollIntervalMs: 20, maxPollIntervalMs: 50, backoff: { initialMs: 50, factor: 1, jitter: 0 } },
    });
    if (!(await db().knex('webhook_partners').where({ slug: 'acme' }).first())) await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    const ids = Array.from({ length: count }, (_, i) => `batch_${round}_${i}`);
    for (const id of ids) expect((await post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: `round${round}` }))).status).to.equal(202);
    host.plugin.on(`round${round}`, handlerOf(ids));
    await host.plugin.start();
    const rows = await waitFor(async () => {
      const r = await db().knex('webhook_outbox').whereIn('event_id', ids).select('event_id', 'status', 'attempts');
      return r.every((row: { status: string }) => row.status === 'done') ? r : undefined;
    }, 10_000, 'every event to be done');
    const effects: string[] = (await db().knex('batch_effects').whereIn('event_id', ids).select('event_id')).map((e: { event_id: string }) => e.event_id);
    return { ids, rows: rows as Array<{ event_id: string; attempts: number }>, effects };
  }

  it('retries only the event whose handler failed; its batch mates commit once', async () => {
    let failedOnce = false;
    const { ids, rows, effects } = await backlog(30, (list) => async (event, { trx }) => {
      await trx('batch_effects').insert({ event_id: event.id });
      if (event.id === list[4] && !failedOnce) {
        failedOnce = true;
        throw new Error('one bad event');
      }
    });
    expect(effects.sort()).to.deep.equal([...ids].sort());
    const attempts = Object.fromEntries(rows.map((r) => [r.event_id, r.attempts]));
    expect(attempts[ids[4]!]).to.equal(2);
    expect(ids.filter((id) => id !== ids[4]).every((id) => attempts[id] === 1)).to.equal(true);
  });

  it('runs a batch again event by event when one handler times out, still applying each event once', async () => {
    let hung = false;
    const { ids, effects } = await backlog(10, (list) => async (event, { trx, signal }) => {
      await trx('batch_effects').insert({ event_id: event.id });
      if (event.id === list[2] && !hung) {
        hung = true;
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
      }
    });
    expect(effects.sort()).to.deep.equal([...ids].sort());
  });
});
