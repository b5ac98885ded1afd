import { expect } from 'chai';
import { createOutboxAdmin, type OutboxAdmin } from '../../plugin/outbox/outbox-admin.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { fromDbTime } from '../../plugin/store/time.js';
import { systemClock, type WebhookEvent } from '../../plugin/types.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost } from '../helpers/host.js';
import { waitFor } from '../helpers/requests.js';
import { clearOutbox, countRows, many, migrated, seedEvents } from './seed.js';

describeEachDatabase('outbox replay', (db) => {
  let admin: OutboxAdmin;
  const row = async (id: number) => db().knex('webhook_outbox').where({ id }).first().options(dialectOf(db().knex).readOptions);

  before(async () => {
    await migrated(db().knex);
    admin = createOutboxAdmin({ knex: db().knex, dialect: dialectOf(db().knex), clock: systemClock });
  });
  beforeEach(async () => clearOutbox(db().knex));

  it('puts a dead row back to pending, due now, with attempts reset and its last error kept', async () => {
    const ids = await seedEvents(db().knex, [{ eventId: 'd1', status: 'dead', attempts: 10, lastError: 'Error: CRM down', receivedAgoMs: 3_600_000 }]);
    const id = ids.get('d1')!;
    expect(await admin.replay([id])).to.deep.equal({ replayed: [id], skipped: [] });
    const after = await row(id);
    expect(after).to.include({ status: 'pending', attempts: 0, last_error: 'Error: CRM down', processed_at: null, locked_by: null });
    expect(Math.abs(fromDbTime(after.next_attempt_at).getTime() - Date.now())).to.be.below(5_000);
  });

  it('makes a pending row waiting for a retry due now, but leaves a due one alone', async () => {
    const ids = await seedEvents(db().knex, [
      { eventId: 'later', status: 'pending', attempts: 3, dueInMs: 3_600_000 },
      { eventId: 'due', status: 'pending', attempts: 0 },
    ]);
    const result = await admin.replay([ids.get('later')!, ids.get('due')!]);
    expect(result.replayed).to.deep.equal([ids.get('later')]);
    expect(result.skipped).to.deep.equal([{ id: ids.get('due'), reason: 'already pending and due' }]);
    expect(await row(ids.get('later')!)).to.include({ attempts: 0 });
  });

  it('skips done and processing rows and unknown ids, each with a reason, without changing them', async () => {
    const ids = await seedEvents(db().knex, [
      { eventId: 'done', status: 'done' },
      { eventId: 'busy', status: 'processing', lockedBy: 'worker-7', attempts: 2 },
    ]);
    const result = await admin.replay([ids.get('done')!, ids.get('busy')!, 99_999_999]);
    expect(result.replayed).to.deep.equal([]);
    expect(result.skipped).to.deep.equal([
      { id: ids.get('done'), reason: 'already done' },
      { id: ids.get('busy'), reason: 'being processed right now' },
      { id: 99_999_999, reason: 'not found' },
    ]);
    expect(await row(ids.get('busy')!)).to.include({ status: 'processing', locked_by: 'worker-7', attempts: 2 });
    expect(await row(ids.get('done')!)).to.include({ status: 'done' });
  });

  it('refuses an empty or malformed id list', async () => {
    for (const ids of [[], [0], [1.5], ['7' as unknown as number]]) {
      const error = await admin.replay(ids).then(() => null, (e: { status?: number }) => e);
      expect(error?.status, JSON.stringify(ids)).to.equal(400);
    }
  });

  it('replays every dead row of one partner in batches and leaves other partners dead', async () => {
    await seedEvents(db().knex, [
      ...many(25, 'acme-dead', { status: 'dead' }),
      ...many(3, 'beta-dead', { status: 'dead', partner: 'beta' }),
      ...many(4, 'acme-done', { status: 'done' }),
    ]);
    const progress: Array<{ done: number; total: number | null }> = [];
    const result = await admin.replayWhere({ status: 'dead', partner: 'acme' }, { batchSize: 10, onProgress: (p) => progress.push(p) });
    expect(result).to.deep.equal({ replayed: 25, batches: 3, interrupted: false });
    expect(progress.at(-1)).to.deep.equal({ done: 25, total: 25 });
    expect(await countRows(db().knex, 'webhook_outbox', { partner: 'acme', status: 'pending' })).to.equal(25);
    expect(await countRows(db().knex, 'webhook_outbox', { partner: 'beta', status: 'dead' })).to.equal(3);
    expect(await countRows(db().knex, 'webhook_outbox', { partner: 'acme', status: 'done' })).to.equal(4);
  });

  it('stops after the current batch when aborted and says it was interrupted', async () => {
    await seedEvents(db().knex, many(30, 'dead', { status: 'dead' }));
    const controller = new AbortController();
    const result = await admin.replayWhere(
      { status: 'dead' },
      { batchSize: 10, signal: controller.signal, onProgress: (p) => (p.done >= 10 ? controller.abort() : undefined) },
    );
    expect(result).to.deep.equal({ replayed: 10, batches: 1, interrupted: true });
    expect(await countRows(db().knex, 'webhook_outbox', { status: 'dead' })).to.equal(20);
  });

  it('gets a replayed dead event processed by a running plugin', async () => {
    const seen: WebhookEvent[] = [];
    const host = await startTestHost(db().knex, { processing: { pollIntervalMs: 50, maxPollIntervalMs: 100 } });
    try {
      host.plugin.on('*', (event) => {
        seen.push(event);
      });
      await host.plugin.start();
      const ids = await seedEvents(db().knex, [{ eventId: 'again', status: 'dead', attempts: 10 }]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen, 'a dead row must not be picked up on its own').to.have.length(0);
      await admin.replay([ids.get('again')!]);
      await waitFor(async () => ((await row(ids.get('again')!)).status === 'done' ? true : undefined), 5_000, 'the replayed row to be done');
      expect(seen.map((e) => [e.id, e.attempt])).to.deep.equal([['again', 1]]);
    } finally {
      await host.close();
    }
  });
});
