import { expect } from 'chai';
import type { Knex } from 'knex';
import sinon from 'sinon';
import { createRetention } from '../../plugin/retention/retention.js';
import { readLock } from '../../plugin/store/locks.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { migrateLatest } from '../../plugin/store/migrate.js';
import type { Settings } from '../../plugin/settings.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/requests.js';
import { seedOutboxRow } from '../observe/support.js';

const DAY = 24 * 60 * 60 * 1000;
const retention = (enabled: boolean) => ({ enabled, intervalMs: 1000, doneDays: 7, dedupeDays: 30, batchSize: 2 });

async function exists(knex: Knex, eventId: string) {
  return {
    outbox: (await knex('webhook_outbox').where('event_id', eventId).first()) !== undefined,
    dedupe: (await knex('webhook_dedupe').where('event_id', eventId).first()) !== undefined,
  };
}

describeEachDatabase('background retention', (db) => {
  const hosts: TestHost[] = [];
  // Read by the first two tests: untouched while retention is disabled, then pruned once enabled.
  before(async () => {
    const { knex } = db();
    await migrateLatest(knex, dialectOf(knex));
    await seedOutboxRow(knex, { eventId: 'old-done-1', status: 'done', ageMs: 10 * DAY, dedupe: true });
    await seedOutboxRow(knex, { eventId: 'old-done-2', status: 'done', ageMs: 40 * DAY, dedupe: true });
    await seedOutboxRow(knex, { eventId: 'old-done-3', status: 'done', ageMs: 9 * DAY });
    await seedOutboxRow(knex, { eventId: 'old-dead', status: 'dead', ageMs: 60 * DAY, dedupe: true });
    await seedOutboxRow(knex, { eventId: 'recent-done', status: 'done', ageMs: DAY, dedupe: true });
  });

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.close()));
  });

  it('does nothing when disabled', async () => {
    const host = await startTestHost(db().knex, { retention: retention(false) }, true);
    hosts.push(host);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await exists(db().knex, 'old-done-1')).to.deep.equal({ outbox: true, dedupe: true });
    expect(await readLock(db().knex, dialectOf(db().knex), 'retention')).to.equal(null);
  });

  it('prunes old done rows and expired dedupe rows in the background, never dead rows', async () => {
    const host = await startTestHost(db().knex, { retention: retention(true) }, true);
    hosts.push(host);
    await waitFor(() => (host.logger.lines.some((l) => l.msg === 'retention pruned old rows') ? true : undefined), 5000, 'the prune to finish');
    expect(await exists(db().knex, 'old-done-3')).to.deep.equal({ outbox: false, dedupe: false });
    expect(await exists(db().knex, 'old-done-1')).to.deep.equal({ outbox: false, dedupe: true }); // dedupe kept 30 days
    expect(await exists(db().knex, 'old-done-2')).to.deep.equal({ outbox: false, dedupe: false });
    expect(await exists(db().knex, 'old-dead')).to.deep.equal({ outbox: true, dedupe: true });
    expect(await exists(db().knex, 'recent-done')).to.deep.equal({ outbox: true, dedupe: true });
    expect(host.logger.lines.some((l) => l.msg === 'retention pruned old rows' && l.fields.outbox === 3)).to.equal(true);
  });

  it('runs in one of two plugin instances at a time, and moves to the other when the holder stops', async () => {
    const first = await startTestHost(db().knex, { retention: retention(true), instanceId: 'first' }, true);
    hosts.push(first);
    const holder = async () => (await readLock(db().knex, dialectOf(db().knex), 'retention'))?.holder;
    await waitFor(async () => ((await holder()) === 'first' ? true : undefined), 5000, 'the first instance to take the lease');
    const second = await startTestHost(db().knex, { retention: retention(true), instanceId: 'second' }, true);
    hosts.push(second);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // two of the second's intervals
    expect(await holder()).to.equal('first');
    expect(second.logger.lines.filter((l) => /runs retention|retention pruned|retention found/.test(l.msg))).to.deep.equal([]);
    expect(first.logger.lines.some((l) => l.msg === 'this process now runs retention')).to.equal(true);

    await first.close();
    hosts.splice(hosts.indexOf(first), 1);
    await waitFor(async () => ((await holder()) === 'second' ? true : undefined), 5000, 'the second instance to take over');
  });
});

describe('retention stop', () => {
  const settings: Settings['retention'] = { enabled: true, intervalMs: 60_000, doneDays: 7, dedupeDays: 30, batchSize: 10 };

  it('waits for the running prune to finish its batch, passing it an abort signal, then releases the lease', async () => {
    let finishBatch!: () => void;
    let signal: AbortSignal | undefined;
    const prune = sinon.spy(async (options: { signal?: AbortSignal | undefined }) => {
      signal = options.signal;
      await new Promise<void>((resolve) => (finishBatch = resolve));
      return { outbox: 10, dedupe: 0, batches: 1, interrupted: signal?.aborted ?? false };
    });
    const lease = { acquire: sinon.stub().resolves(true), release: sinon.stub().resolves() };
    const logger = recordingLogger();
    const runner = createRetention({ prune, lease, settings, clock: { now: () => Date.now() }, logger });
    runner.start();
    await waitFor(() => (prune.called ? true : undefined), 2000, 'the prune to start');

    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(signal?.aborted).to.equal(true);
    expect(stopped).to.equal(false);
    expect(lease.release.called).to.equal(false);
    finishBatch();
    await stopping;
    expect(lease.release.calledOnce).to.equal(true);
    expect(logger.lines.some((l) => l.msg === 'retention pruned old rows' && l.fields.interrupted === true)).to.equal(true);
  });

  it('does not prune while another process holds the lease', async () => {
    const prune = sinon.stub().resolves({ outbox: 0, dedupe: 0, batches: 0, interrupted: false });
    const lease = { acquire: sinon.stub().resolves(false), release: sinon.stub().resolves() };
    const runner = createRetention({ prune, lease, settings, clock: { now: () => Date.now() }, logger: recordingLogger() });
    runner.start();
    await waitFor(() => (lease.acquire.called ? true : undefined), 2000, 'the lease attempt');
    await runner.stop();
    expect(prune.called).to.equal(false);
    expect(lease.release.called).to.equal(false);
  });
});
