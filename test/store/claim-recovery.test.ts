import { expect } from 'chai';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { insertEvents, OUTBOX_TABLE } from '../../plugin/store/outbox-insert.js';
import { claimDue, markFailed, markHandlersStarted, recoverExpiredClaims, type ClaimedEvent, type Fence } from '../../plugin/store/claims.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logger.js';

const CLAIM_MS = 1000;
const fenceOf = (e: ClaimedEvent): Fence => ({ outboxId: e.outboxId, lockedBy: e.lockedBy, attempt: e.attempt });

describeEachDatabase('taking back expired claims (issue 9 item 5)', (db) => {
  let nowMs = Date.now();
  before(async () => {
    await createWebhooksPlugin({ knex: db().knex, logger: recordingLogger() }).migrate();
  });
  beforeEach(async () => {
    await db().knex(OUTBOX_TABLE).del();
    nowMs += 60_000; // every case claims and expires on a clock of its own, later than the last
  });

  async function accept(ids: string[]): Promise<void> {
    const events = ids.map((eventId) => ({ partner: 'acme', eventId, eventType: 't', payload: JSON.stringify({ id: eventId }), headers: '{}', bodySha256: null }));
    await db().knex.transaction((trx) => insertEvents(trx, dialectOf(db().knex), events, nowMs - 10));
  }
  const claim = (limit = 100) => claimDue(db().knex, dialectOf(db().knex), { lockedBy: 'dead-process', nowMs, claimMs: CLAIM_MS, limit });
  const started = (events: ClaimedEvent[]) => markHandlersStarted(db().knex, dialectOf(db().knex), events.map(fenceOf), { nowMs, lockedUntilMs: nowMs + CLAIM_MS });
  const recover = (maxAttempts: number) => recoverExpiredClaims(db().knex, { nowMs: nowMs + 2 * CLAIM_MS, maxAttempts });
  async function rows(): Promise<Record<string, { status: string; attempts: number; lastError: string | null }>> {
    const all: Array<{ event_id: string; status: string; attempts: number | string; last_error: string | null }> = await db()
      .knex(OUTBOX_TABLE)
      .select('event_id', 'status', 'attempts', 'last_error');
    return Object.fromEntries(all.map((r) => [r.event_id, { status: r.status, attempts: Number(r.attempts), lastError: r.last_error }]));
  }

  it('charges the expired claim whose handlers started and gives the attempt back to those that only waited', async () => {
    await accept(['ran', 'waited-1', 'waited-2']);
    const claimed = await claim();
    expect([...(await started(claimed.filter((e) => e.eventId === 'ran')))]).to.have.length(1);
    expect(await recover(10)).to.deep.equal({ pending: 1, dead: 0, notStarted: 2 });
    const after = await rows();
    expect(after.ran).to.deep.include({ status: 'pending', attempts: 1 });
    expect(after.ran!.lastError).to.match(/lease expired/);
    expect(after['waited-1']).to.deep.equal({ status: 'pending', attempts: 0, lastError: null });
    expect(after['waited-2']).to.deep.equal({ status: 'pending', attempts: 0, lastError: null });
  });

  it('sends a started claim on its last attempt to dead, never one that did not start', async () => {
    await accept(['poison', 'neighbour']);
    const claimed = await claim();
    await started(claimed.filter((e) => e.eventId === 'poison'));
    expect(await recover(1)).to.deep.equal({ pending: 0, dead: 1, notStarted: 1 });
    const after = await rows();
    expect(after.poison).to.deep.include({ status: 'dead', attempts: 1 });
    expect(after.neighbour).to.deep.include({ status: 'pending', attempts: 0 });
  });

  it('forgets that handlers started once that claim ends, so a later claim that never ran is not charged', async () => {
    await accept(['flaky']);
    const [first] = await claim();
    await started([first!]);
    expect(await markFailed(db().knex, fenceOf(first!), { error: 'boom', retryAtMs: nowMs, nowMs })).to.equal(true);
    const [second] = await claim();
    expect(second!.attempt).to.equal(2);
    expect(await recover(10)).to.deep.equal({ pending: 0, dead: 0, notStarted: 1 });
    expect((await rows()).flaky).to.deep.equal({ status: 'pending', attempts: 1, lastError: 'boom' });
  });
});
