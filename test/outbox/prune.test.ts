import { expect } from 'chai';
import { createOutboxAdmin, type OutboxAdmin } from '../../plugin/outbox/outbox-admin.js';
import { pruneDedupeRows, pruneFinishedRows } from '../../plugin/outbox/prune.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { toDbTime } from '../../plugin/store/time.js';
import { systemClock } from '../../plugin/types.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost } from '../helpers/host.js';
import { post, signedPost } from '../helpers/requests.js';
import { clearOutbox, countRows, DAY_MS, many, migrated, seedDedupe, seedEvents } from './seed.js';

describeEachDatabase('outbox prune', (db) => {
  let admin: OutboxAdmin;
  const month = { doneOlderThanMs: 30 * DAY_MS, dedupeOlderThanMs: 30 * DAY_MS };
  const outboxIds = async () => (await db().knex('webhook_outbox').select('event_id').orderBy('event_id')).map((r: { event_id: string }) => r.event_id);
  const dedupeIds = async () => (await db().knex('webhook_dedupe').select('event_id').orderBy('event_id')).map((r: { event_id: string }) => r.event_id);

  before(async () => {
    await migrated(db().knex);
    admin = createOutboxAdmin({ knex: db().knex, dialect: dialectOf(db().knex), clock: systemClock });
  });
  beforeEach(async () => clearOutbox(db().knex));

  it('deletes only done rows finished before the window, never pending, processing or dead ones', async () => {
    await seedEvents(db().knex, [
      { eventId: 'done-old', status: 'done', receivedAgoMs: 40 * DAY_MS },
      { eventId: 'done-old-no-processed-at', status: 'done', receivedAgoMs: 40 * DAY_MS, processedAgoMs: null },
      { eventId: 'done-recent', status: 'done', receivedAgoMs: 2 * DAY_MS },
      { eventId: 'done-late', status: 'done', receivedAgoMs: 40 * DAY_MS, processedAgoMs: 1 * DAY_MS },
      { eventId: 'dead-old', status: 'dead', receivedAgoMs: 90 * DAY_MS },
      { eventId: 'pending-old', status: 'pending', receivedAgoMs: 90 * DAY_MS },
      { eventId: 'processing-old', status: 'processing', receivedAgoMs: 90 * DAY_MS },
    ]);
    const result = await admin.prune(month);
    expect(result.outbox).to.equal(2);
    expect(await outboxIds()).to.deep.equal(['dead-old', 'done-late', 'done-recent', 'pending-old', 'processing-old']);
  });

  it('deletes old dedupe rows but keeps those whose event is still pending, processing or dead', async () => {
    await seedEvents(db().knex, [
      { eventId: 'done-old', status: 'done', receivedAgoMs: 40 * DAY_MS },
      { eventId: 'dead-old', status: 'dead', receivedAgoMs: 40 * DAY_MS },
      { eventId: 'pending-old', status: 'pending', receivedAgoMs: 40 * DAY_MS },
      { eventId: 'processing-old', status: 'processing', receivedAgoMs: 40 * DAY_MS },
      { eventId: 'done-recent', status: 'done', receivedAgoMs: 1 * DAY_MS },
    ]);
    await seedDedupe(db().knex, [
      { eventId: 'orphan-old', receivedAgoMs: 45 * DAY_MS },
      { eventId: 'orphan-recent', receivedAgoMs: 3 * DAY_MS },
      // Same event id at another partner: its own outbox row is what counts.
      { eventId: 'dead-old', partner: 'beta', receivedAgoMs: 45 * DAY_MS },
    ]);
    const result = await admin.prune(month);
    expect(result.dedupe).to.equal(3);
    expect(await dedupeIds()).to.deep.equal(['dead-old', 'done-recent', 'orphan-recent', 'pending-old', 'processing-old']);
    expect(await countRows(db().knex, 'webhook_dedupe', { partner: 'beta' })).to.equal(0);
  });

  it('applies separate windows to done rows and dedupe rows', async () => {
    await seedEvents(db().knex, [{ eventId: 'ten-days', status: 'done', receivedAgoMs: 10 * DAY_MS }]);
    const result = await admin.prune({ doneOlderThanMs: 7 * DAY_MS, dedupeOlderThanMs: 30 * DAY_MS });
    expect(result).to.include({ outbox: 1, dedupe: 0 });
    expect(await dedupeIds()).to.deep.equal(['ten-days']);
  });

  // Issue 16: one rule for the dedupe window. A dedupe row pruned while its done row is kept would let
  // a redelivery in as a second outbox row for the same event, applied twice.
  it('keeps the dedupe row of a done event as long as the done row is kept, even past the dedupe window', async () => {
    await seedEvents(db().knex, [{ eventId: 'done-40d', status: 'done', receivedAgoMs: 40 * DAY_MS }]);
    const result = await admin.prune({ doneOlderThanMs: 60 * DAY_MS, dedupeOlderThanMs: 30 * DAY_MS });
    expect(result).to.include({ outbox: 0, dedupe: 0 });
    expect(await outboxIds()).to.deep.equal(['done-40d']);
    expect(await dedupeIds()).to.deep.equal(['done-40d']);
  });

  it('deletes dead rows only given a dead window, then their dedupe rows once past the dedupe window', async () => {
    await seedEvents(db().knex, [
      { eventId: 'dead-100d', status: 'dead', receivedAgoMs: 100 * DAY_MS },
      { eventId: 'dead-20d', status: 'dead', receivedAgoMs: 20 * DAY_MS },
      { eventId: 'dead-5d', status: 'dead', receivedAgoMs: 5 * DAY_MS },
    ]);
    expect(await admin.prune(month)).to.include({ outbox: 0, dedupe: 0 });
    const result = await admin.prune({ ...month, deadOlderThanMs: 10 * DAY_MS });
    expect(result).to.include({ outbox: 2, dedupe: 1 });
    expect(await outboxIds()).to.deep.equal(['dead-5d']);
    // dead-20d's dedupe row stays for the 30-day window, so a redelivery is still a duplicate.
    expect(await dedupeIds()).to.deep.equal(['dead-20d', 'dead-5d']);
  });

  it('works in batches: 2,500 rows per table with batches of 1,000 take 3 batches each', async function () {
    this.timeout(60_000);
    await seedEvents(db().knex, [...many(2500, 'old', { status: 'done', receivedAgoMs: 40 * DAY_MS }), ...many(5, 'keep', { status: 'dead', receivedAgoMs: 40 * DAY_MS })]);
    const progress: Array<{ table: string; done: number; total: number | null }> = [];
    const result = await admin.prune({ ...month, batchSize: 1000, onProgress: (p) => progress.push(p) });
    expect(result).to.deep.equal({ outbox: 2500, dedupe: 2500, batches: 6, interrupted: false });
    expect(progress.filter((p) => p.table === 'webhook_outbox').map((p) => p.done)).to.deep.equal([0, 1000, 2000, 2500]);
    expect(progress.filter((p) => p.table === 'webhook_dedupe').map((p) => [p.done, p.total])).to.deep.equal([[0, 2500], [1000, 2500], [2000, 2500], [2500, 2500]]);
    expect(await countRows(db().knex, 'webhook_outbox')).to.equal(5);
    expect(await countRows(db().knex, 'webhook_dedupe')).to.equal(5);
  });

  it('stops after the current batch when aborted, leaving the rest for the next run', async function () {
    this.timeout(60_000);
    await seedEvents(db().knex, many(2500, 'old', { status: 'done', receivedAgoMs: 40 * DAY_MS }));
    const controller = new AbortController();
    const result = await admin.prune({ ...month, batchSize: 1000, streams: 1, signal: controller.signal, onProgress: (p) => (p.done > 0 ? controller.abort() : undefined) });
    expect(result).to.deep.equal({ outbox: 1000, dedupe: 0, batches: 1, interrupted: true });
    expect(await countRows(db().knex, 'webhook_outbox')).to.equal(1500);
    expect(await countRows(db().knex, 'webhook_dedupe')).to.equal(2500);
    expect(await admin.prune({ ...month, batchSize: 1000 })).to.deep.equal({ outbox: 1500, dedupe: 2500, batches: 5, interrupted: false });
  });

  // Issue 16: on MySQL and MariaDB a prune keeps several DELETE batches in flight, each on a
  // connection of its own (SQLite runs them one by one); an interrupted run must still have finished
  // and counted every batch it started.
  it('deletes exactly the expired rows with several batches in flight, and an interrupted run reports what it deleted', async function () {
    this.timeout(60_000);
    await seedEvents(db().knex, [...many(2500, 'old', { status: 'done', receivedAgoMs: 40 * DAY_MS }), ...many(5, 'keep', { status: 'dead', receivedAgoMs: 40 * DAY_MS })]);
    const controller = new AbortController();
    const first = await admin.prune({ ...month, batchSize: 100, streams: 4, signal: controller.signal, onProgress: (p) => (p.done >= 1000 ? controller.abort() : undefined) });
    expect(first).to.include({ dedupe: 0, interrupted: true });
    expect(first.outbox).to.be.within(1000, 1300);
    expect(await countRows(db().knex, 'webhook_outbox')).to.equal(2505 - first.outbox);
    const rest = await admin.prune({ ...month, batchSize: 100, streams: 4 });
    expect(rest).to.deep.include({ outbox: 2500 - first.outbox, dedupe: 2500, interrupted: false });
    expect(await countRows(db().knex, 'webhook_outbox')).to.equal(5);
    expect(await countRows(db().knex, 'webhook_dedupe')).to.equal(5);
  });

  it('refuses a number of streams outside 1 to 8', async () => {
    for (const streams of [0, 9, 1.5]) {
      const error = await admin.prune({ ...month, streams }).then(() => null, (e: { status?: number; message?: string }) => e);
      expect(error?.status, String(streams)).to.equal(400);
      expect(error?.message).to.equal('streams must be a whole number from 1 to 8');
    }
  });

  it('keeps a dead event a duplicate for its partner after pruning, so a redelivery is not applied twice', async () => {
    const secret = 'prune-secret-0123456789abcdef';
    const host = await startTestHost(db().knex);
    try {
      await host.plugin.partners.add({ slug: 'acme', secret });
      const request = signedPost('hmac-sha256', secret, { id: 'evt-dead', type: 't' });
      expect((await post(host.url('acme'), request)).status).to.equal(202);
      const longAgo = toDbTime(Date.now() - 60 * DAY_MS);
      await db().knex('webhook_outbox').where({ event_id: 'evt-dead' }).update({ status: 'dead', received_at: longAgo, processed_at: longAgo });
      await db().knex('webhook_dedupe').where({ event_id: 'evt-dead' }).update({ received_at: longAgo });
      await admin.prune(month);
      const again = await post(host.url('acme'), request);
      expect(again.status).to.equal(200);
      expect(again.body).to.deep.include({ status: 'duplicate' });
      expect(await countRows(db().knex, 'webhook_outbox', { event_id: 'evt-dead' })).to.equal(1);
    } finally {
      await host.close();
    }
  });

  // Issue 16: batches are cut from a read-ahead sorted by event id; the processed_at cursor is
  // inclusive, so rows finished in the same millisecond come back while earlier ones still wait.
  it('deletes each finished row once when batches come from a read-ahead, even where all finished in the same millisecond', async function () {
    this.timeout(60_000);
    await seedEvents(db().knex, [
      ...many(700, 'same-ms', { status: 'done', receivedAgoMs: 40 * DAY_MS }),
      // More rows than one read-ahead without processed_at (counted by received_at), which sort first.
      ...many(300, 'untimed', { status: 'done', receivedAgoMs: 40 * DAY_MS, processedAgoMs: null }),
      ...many(5, 'dead', { status: 'dead', receivedAgoMs: 40 * DAY_MS }),
      ...many(5, 'recent', { status: 'done', receivedAgoMs: 1 * DAY_MS }),
    ]);
    const batches: number[] = [];
    const result = await pruneFinishedRows(db().knex, dialectOf(db().knex), 'done', {
      cutoffMs: Date.now() - 30 * DAY_MS,
      batchSize: 100,
      readAhead: 250,
      onProgress: (p) => batches.push(p.done),
    });
    expect(result).to.deep.equal({ changed: 1000, batches: 10, interrupted: false });
    expect(batches).to.deep.equal([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(await countRows(db().knex, 'webhook_outbox', { status: 'done' })).to.equal(5);
    expect(await countRows(db().knex, 'webhook_outbox', { status: 'dead' })).to.equal(5);
  });

  // Issue 16: a pass over many expired rows walks the primary key, an hourly one received_at. Both
  // must delete exactly the same rows, batch after batch, across partners.
  for (const walk of ['key', 'age'] as const) {
    it(`deletes exactly the expired dedupe rows of finished events, batch by batch, walking by ${walk === 'key' ? 'primary key' : 'received_at'}`, async function () {
      this.timeout(60_000);
      const partners = ['acme', 'beta', 'zeta'];
      const events = partners.flatMap((partner) => [
        ...many(7, `${partner}-done`, { partner, status: 'done', receivedAgoMs: 40 * DAY_MS, dedupe: true }),
        { partner, eventId: `${partner}-dead`, status: 'dead' as const, receivedAgoMs: 40 * DAY_MS },
        { partner, eventId: `${partner}-pending`, status: 'pending' as const, receivedAgoMs: 41 * DAY_MS },
        { partner, eventId: `${partner}-recent`, status: 'done' as const, receivedAgoMs: 1 * DAY_MS },
      ]);
      await seedEvents(db().knex, events);
      await seedDedupe(db().knex, partners.map((partner) => ({ partner, eventId: `${partner}-orphan`, receivedAgoMs: 50 * DAY_MS })));
      await db().knex('webhook_outbox').where('status', 'done').andWhere('event_id', 'like', '%-done-%').del();
      const result = await pruneDedupeRows(db().knex, dialectOf(db().knex), { cutoffMs: Date.now() - 30 * DAY_MS, batchSize: 4, walk });
      expect(result).to.include({ changed: 24, interrupted: false });
      const left = await db().knex('webhook_dedupe').select('partner', 'event_id').orderBy(['partner', 'event_id']);
      expect(left.map((r: { partner: string; event_id: string }) => r.event_id)).to.deep.equal(
        partners.flatMap((p) => [`${p}-dead`, `${p}-pending`, `${p}-recent`]),
      );
    });
  }

  it('refuses a negative window', async () => {
    const error = await admin.prune({ doneOlderThanMs: -1, dedupeOlderThanMs: 0 }).then(() => null, (e: { status?: number }) => e);
    expect(error?.status).to.equal(400);
  });
});
