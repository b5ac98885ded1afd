import { expect } from 'chai';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { insertEvents, type InboundEvent, type InsertClaim } from '../../plugin/store/outbox-insert.js';
import { claimDue, markFailed, type ClaimedEvent } from '../../plugin/store/claims.js';
import { readBlockedKeys } from '../../plugin/store/order-claim.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logger.js';

let counter = 0;
const ordered = (key: string, version: number, onDead: 'continue' | 'block' = 'continue'): InboundEvent => ({
  partner: 'acme',
  eventId: `evt_${(counter += 1)}`,
  eventType: 'record.updated',
  payload: JSON.stringify({ key, version }),
  headers: '{}',
  bodySha256: null,
  order: { key, version, onDead },
});
const unordered = (): InboundEvent => ({ partner: 'acme', eventId: `evt_${(counter += 1)}`, eventType: 'other', payload: '{}', headers: '{}', bodySha256: null });

describeEachDatabase('the claim of ordered events', (db) => {
  const claim = (lockedBy = 'w1') => claimDue(db().knex, dialectOf(db().knex), { lockedBy, nowMs: Date.now() + 1000, claimMs: 60_000, limit: 100 });
  const insert = (events: InboundEvent[], claims: (InsertClaim | null)[] = []) =>
    db().knex.transaction((trx) => insertEvents(trx, dialectOf(db().knex), events, Date.now(), claims));
  const versions = (events: ClaimedEvent[]) => events.map((e) => (e.order ? `${e.order.key}@${e.order.version}` : 'unordered')).sort();
  const finish = (events: ClaimedEvent[]) => db().knex('webhook_outbox').whereIn('id', events.map((e) => e.outboxId)).update({ status: 'done', locked_by: null });

  before(async () => {
    await createWebhooksPlugin({ knex: db().knex, logger: recordingLogger() }).migrate();
  });
  beforeEach(async () => {
    await db().knex('webhook_outbox').delete();
  });

  it('takes only the lowest version of each key, and every unordered event, in one claim', async () => {
    await insert([ordered('a', 3), ordered('a', 1), ordered('a', 2), ordered('b', 7), unordered(), unordered()]);
    const first = await claim();
    expect(versions(first)).to.deep.equal(['a@1', 'b@7', 'unordered', 'unordered']);
    expect(await claim('w2'), 'nothing of a key runs while one of its events is processing').to.deep.equal([]);
    await finish(first);
    expect(versions(await claim('w2'))).to.deep.equal(['a@2']);
  });

  it('takes events of equal version in received order', async () => {
    await insert([ordered('t', 5), ordered('t', 5)]);
    const [first] = await claim();
    const rows = await db().knex('webhook_outbox').select('id').orderBy('id');
    expect(first!.outboxId).to.equal(Number(rows[0].id));
  });

  it('never writes an ordered row claimed at insert, even when the fast path offers a claim', async () => {
    const lease: InsertClaim = { lockedBy: 'fast', lockedUntilMs: Date.now() + 60_000 };
    const results = await insert([ordered('f', 2), unordered()], [lease, lease]);
    expect(results[0]!.outboxId).to.equal(null);
    expect(results[1]!.outboxId).to.be.a('number');
    const rows: Array<{ status: string; order_key: string | null }> = await db().knex('webhook_outbox').select('status', 'order_key');
    expect(rows.map((r) => `${r.order_key ?? 'unordered'}:${r.status}`).sort()).to.deep.equal(['f:pending', 'unordered:processing']);
  });

  it('holds a key behind a retrying event, and reports it as blocked', async () => {
    await insert([ordered('r', 1), ordered('r', 2)]);
    const [head] = await claim();
    await markFailed(db().knex, { outboxId: head!.outboxId, lockedBy: 'w1', attempt: 1 }, { error: 'boom', retryAtMs: Date.now() + 3_600_000, nowMs: Date.now() });
    expect(await claim(), 'the later version waits for the retry').to.deep.equal([]);
    const blocked = await readBlockedKeys(db().knex, dialectOf(db().knex));
    expect(blocked.blockedKeys).to.equal(1);
    expect(blocked.oldestBlockedKeySeconds).to.be.a('number');
  });

  it('lets a key move on past a dead event unless the event arrived under onDead: block', async () => {
    await insert([ordered('c', 1), ordered('c', 2), ordered('k', 1, 'block'), ordered('k', 2, 'block')]);
    const heads = await claim();
    for (const head of heads) {
      await markFailed(db().knex, { outboxId: head.outboxId, lockedBy: 'w1', attempt: 1 }, { error: 'boom', retryAtMs: null, nowMs: Date.now() });
    }
    expect(versions(await claim())).to.deep.equal(['c@2']);
    expect((await readBlockedKeys(db().knex, dialectOf(db().knex))).blockedKeys).to.equal(1);
  });
});
