import { expect } from 'chai';
import type { OutboxRowDetail, OutboxRowView } from '../../plugin/outbox/outbox-admin.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { clearOutbox, countRows, DAY_MS, many, seedEvents } from '../outbox/seed.js';
import { oneLineReason, parseJson, runCli } from './run-cli.js';

describeEachDatabase('crm-webhooks outbox', (db) => {
  const cli = (args: string[]) => runCli(args, { env: { DATABASE_URL: db().url } });

  before(async () => {
    expect((await cli(['migrate'])).code).to.equal(0);
  });
  beforeEach(async () => clearOutbox(db().knex));

  it('prints stats --json in exactly the contract shape', async () => {
    await seedEvents(db().knex, [
      { eventId: 'p1', status: 'pending', receivedAgoMs: 90_000 },
      { eventId: 'd1', status: 'dead' },
      { eventId: 'b1', partner: 'beta', status: 'done' },
    ]);
    const run = await cli(['outbox', 'stats', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.equal('');
    const stats = parseJson<Record<string, unknown>>(run);
    expect(Object.keys(stats)).to.deep.equal(['byStatus', 'byPartner', 'oldestPendingAgeSeconds']);
    expect(stats.byStatus).to.deep.equal({ pending: 1, processing: 0, done: 1, dead: 1 });
    expect(stats.byPartner).to.deep.equal({
      acme: { pending: 1, processing: 0, done: 0, dead: 1 },
      beta: { pending: 0, processing: 0, done: 1, dead: 0 },
    });
    expect(stats.oldestPendingAgeSeconds).to.be.within(88, 100);
    const text = await cli(['outbox', 'stats']);
    expect(text.stdout).to.match(/^pending\s+1$/m);
    expect(text.stdout).to.match(/Oldest pending: 1m \d+s/);
  });

  it('counts every row with stats --exact, in the same shape', async () => {
    await seedEvents(db().knex, [...many(3, 'd', { status: 'done' }), { eventId: 'x1', partner: 'beta', status: 'dead' }]);
    const run = await cli(['outbox', 'stats', '--exact', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    const stats = parseJson<Record<string, unknown>>(run);
    expect(Object.keys(stats)).to.deep.equal(['byStatus', 'byPartner', 'oldestPendingAgeSeconds']);
    expect(stats.byStatus).to.deep.equal({ pending: 0, processing: 0, done: 3, dead: 1 });
    expect((await cli(['outbox', 'stats', '--exact'])).stdout).not.to.include('≈');
  });

  it('prints null for the oldest pending age when nothing is pending', async () => {
    expect(parseJson<{ oldestPendingAgeSeconds: unknown }>(await cli(['outbox', 'stats', '--json'])).oldestPendingAgeSeconds).to.equal(null);
  });

  it('lists rows newest first with status, partner and limit filters', async () => {
    await seedEvents(db().knex, [...many(5, 'a', { status: 'pending' }), { eventId: 'dead-b', partner: 'beta', status: 'dead', lastError: 'Error: no' }]);
    const all = parseJson<OutboxRowView[]>(await cli(['outbox', 'list', '--json']));
    expect(all.map((r) => r.eventId)).to.deep.equal(['dead-b', 'a-00004', 'a-00003', 'a-00002', 'a-00001', 'a-00000']);
    expect(parseJson<OutboxRowView[]>(await cli(['outbox', 'list', '--status', 'dead', '--json'])).map((r) => r.eventId)).to.deep.equal(['dead-b']);
    expect(parseJson<OutboxRowView[]>(await cli(['outbox', 'list', '--partner', 'acme', '--limit', '2', '--json'])).map((r) => r.eventId)).to.deep.equal(['a-00004', 'a-00003']);
    const text = await cli(['outbox', 'list', '--status', 'dead']);
    expect(text.stdout).to.match(/^ID\s+STATUS\s+PARTNER/);
    expect(text.stdout).to.include('Error: no');
  });

  it('shows one row with its payload pretty-printed and its headers redacted as stored', async () => {
    const ids = await seedEvents(db().knex, [{ eventId: 'e1', payload: '{"id":"e1","data":{"n":1}}' }]);
    const run = await cli(['outbox', 'show', String(ids.get('e1'))]);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.include('{\n  "id": "e1",\n  "data": {\n    "n": 1\n  }\n}');
    expect(run.stdout).to.include('x-webhook-signature: [redacted]');
    const detail = parseJson<OutboxRowDetail>(await cli(['outbox', 'show', String(ids.get('e1')), '--json']));
    expect(detail).to.deep.include({ eventId: 'e1', payload: { id: 'e1', data: { n: 1 } } });
    const missing = await cli(['outbox', 'show', '987654321', '--json']);
    expect(missing.code).to.equal(1);
    expect(missing.stdout).to.equal('');
    expect(oneLineReason(missing)).to.equal('crm-webhooks: no outbox row 987654321');
  });

  it('replays dead rows by id and exits 1 naming the ids it skipped', async () => {
    const ids = await seedEvents(db().knex, [{ eventId: 'dead', status: 'dead' }, { eventId: 'done', status: 'done' }]);
    const ok = await cli(['outbox', 'replay', String(ids.get('dead')), '--json']);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(parseJson(ok)).to.deep.equal({ replayed: [ids.get('dead')], skipped: [] });
    expect(await countRows(db().knex, 'webhook_outbox', { event_id: 'dead', status: 'pending', attempts: 0 })).to.equal(1);
    const skipped = await cli(['outbox', 'replay', String(ids.get('done')), '--json']);
    expect(skipped.code).to.equal(1);
    expect(parseJson(skipped)).to.deep.equal({ replayed: [], skipped: [{ id: ids.get('done'), reason: 'already done' }] });
    expect(oneLineReason(skipped)).to.include(`${ids.get('done')}: already done`);
  });

  it('replays every dead row of a partner with --status dead, printing only JSON with --json', async () => {
    await seedEvents(db().knex, [...many(25, 'acme', { status: 'dead' }), ...many(2, 'beta', { status: 'dead', partner: 'beta' })]);
    const run = await cli(['outbox', 'replay', '--status', 'dead', '--partner', 'acme', '--batch-size', '10', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.equal('');
    expect(parseJson(run)).to.deep.equal({ replayed: 25, batches: 3, interrupted: false });
    expect(await countRows(db().knex, 'webhook_outbox', { status: 'dead' })).to.equal(2);
  });

  it('prunes done and dedupe rows in batches, with progress lines on stderr when it is not a terminal', async function () {
    this.timeout(60_000);
    await seedEvents(db().knex, [...many(2500, 'old', { status: 'done', receivedAgoMs: 40 * DAY_MS }), { eventId: 'kept', status: 'dead', receivedAgoMs: 40 * DAY_MS }]);
    // One batch at a time, so the progress lines come in a fixed order.
    const run = await cli(['outbox', 'prune', '--older-than', '30d', '--batch-size', '1000', '--streams', '1']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.equal('Deleted 2500 done outbox rows and 2500 dedupe rows in 6 batches.\n');
    expect(run.stderr.trimEnd().split('\n')).to.deep.equal([
      'crm-webhooks: pruning webhook_outbox: 0/2500',
      'crm-webhooks: pruning webhook_outbox: 1000/2500',
      'crm-webhooks: pruning webhook_outbox: 2000/2500',
      'crm-webhooks: pruning webhook_outbox: 2500/2500',
      'crm-webhooks: pruning webhook_dedupe: 0/2500',
      'crm-webhooks: pruning webhook_dedupe: 1000/2500',
      'crm-webhooks: pruning webhook_dedupe: 2000/2500',
      'crm-webhooks: pruning webhook_dedupe: 2500/2500',
    ]);
    expect(await countRows(db().knex, 'webhook_outbox')).to.equal(1);
    expect(await countRows(db().knex, 'webhook_dedupe')).to.equal(1);
    const again = await cli(['outbox', 'prune', '--older-than', '30d', '--json']);
    expect(again.stderr).to.equal('');
    expect(parseJson(again)).to.deep.equal({ outbox: 0, dedupe: 0, batches: 0, interrupted: false });
  });

  it('prune --older-than 7d keeps dedupe rows for the 30-day dedupe window, and dead rows unless asked', async () => {
    await seedEvents(db().knex, [
      { eventId: 'done-10d', status: 'done', receivedAgoMs: 10 * DAY_MS },
      { eventId: 'done-40d', status: 'done', receivedAgoMs: 40 * DAY_MS },
      { eventId: 'dead-10d', status: 'dead', receivedAgoMs: 10 * DAY_MS },
    ]);
    const ids = async (table: string) => (await db().knex(table).select('event_id').orderBy('event_id')).map((r: { event_id: string }) => r.event_id);
    const run = await cli(['outbox', 'prune', '--older-than', '7d', '--json']);
    expect(parseJson(run)).to.deep.equal({ outbox: 2, dedupe: 1, batches: 2, interrupted: false });
    expect(await ids('webhook_outbox')).to.deep.equal(['dead-10d']);
    expect(await ids('webhook_dedupe')).to.deep.equal(['dead-10d', 'done-10d']);
    const dead = await cli(['outbox', 'prune', '--older-than', '7d', '--dead-older-than', '7d', '--dedupe-window', '7d', '--json']);
    expect(parseJson(dead)).to.deep.equal({ outbox: 1, dedupe: 2, batches: 2, interrupted: false });
    expect(await ids('webhook_outbox')).to.deep.equal([]);
    expect(await ids('webhook_dedupe')).to.deep.equal([]);
  });

  it('stops a prune after the current batch on Ctrl-C, says what it did and exits 130', async function () {
    this.timeout(60_000);
    await seedEvents(db().knex, many(3000, 'old', { status: 'done', receivedAgoMs: 40 * DAY_MS }));
    let interrupted = false;
    const run = await runCli(['outbox', 'prune', '--older-than', '30d', '--batch-size', '1'], {
      env: { DATABASE_URL: db().url },
      onStderr: (soFar, child) => {
        if (!interrupted && /webhook_outbox: [1-9]\d*\/3000/.test(soFar)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(run.code, run.stderr).to.equal(130);
    expect(run.stderr).to.include('stopping after the current batch');
    const deleted = Number(/^Interrupted: deleted (\d+) done outbox rows and 0 dedupe rows/.exec(run.stdout)?.[1]);
    expect(deleted).to.be.within(1, 2999);
    expect(await countRows(db().knex, 'webhook_outbox')).to.equal(3000 - deleted);
    expect(await countRows(db().knex, 'webhook_dedupe')).to.equal(3000);
  });
});
