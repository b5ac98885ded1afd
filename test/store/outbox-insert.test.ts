import { expect } from 'chai';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { insertEvents, type InboundEvent } from '../../plugin/store/outbox-insert.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logger.js';

const event = (eventId: string, bytes = 10): InboundEvent => ({
  partner: 'acme',
  eventId,
  eventType: 't',
  payload: JSON.stringify({ id: eventId, pad: 'x'.repeat(bytes) }),
  headers: '{}',
  bodySha256: null,
});

const hashed = (eventId: string, bodySha256: string): InboundEvent => ({ ...event(eventId), bodySha256 });
const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

describeEachDatabase('storing a batch of events', (db) => {
  before(async () => {
    await createWebhooksPlugin({ knex: db().knex, logger: recordingLogger() }).migrate();
  });

  it('stores a batch larger than one statement may hold (over 500 rows, over 1 MiB)', async () => {
    const events = Array.from({ length: 1200 }, (_, i) => event(`big_${i}`, 2000));
    const results = await db().knex.transaction((trx) => insertEvents(trx, dialectOf(db().knex), events, Date.now()));
    expect(results.every((r) => r.outcome === 'accepted')).to.equal(true);
    const [{ n }] = await db().knex('webhook_outbox').where('event_id', 'like', 'big_%').count({ n: '*' });
    expect(Number(n)).to.equal(1200);
  });

  it('tells new events from earlier ones when the duplicate sits in a later statement of the batch', async () => {
    await db().knex.transaction((trx) => insertEvents(trx, dialectOf(db().knex), [event('seen_700')], Date.now()));
    const events = Array.from({ length: 800 }, (_, i) => event(`seen_${i}`));
    const results = await db().knex.transaction((trx) => insertEvents(trx, dialectOf(db().knex), events, Date.now()));
    const duplicates = results.flatMap((r, i) => (r.outcome === 'duplicate' ? [events[i]!.eventId] : []));
    expect(duplicates).to.deep.equal(['seen_700']);
    const [{ n }] = await db().knex('webhook_outbox').where('event_id', 'like', 'seen_%').count({ n: '*' });
    expect(Number(n)).to.equal(800);
  });

  it('answers a repeat within one batch as a duplicate of its first occurrence', async () => {
    const results = await db().knex.transaction((trx) =>
      insertEvents(trx, dialectOf(db().knex), [event('twice'), event('once'), event('twice')], Date.now()),
    );
    expect(results.map((r) => r.outcome)).to.deep.equal(['accepted', 'accepted', 'duplicate']);
  });

  it('answers a body hash seen before as a duplicate carrying the original event id', async () => {
    const dialect = dialectOf(db().knex);
    const first = await db().knex.transaction((trx) => insertEvents(trx, dialect, [hashed('orig-1', HASH_A)], Date.now()));
    expect(first.map((r) => [r.outcome, r.eventId])).to.deep.equal([['accepted', 'orig-1']]);
    const replays = await db().knex.transaction((trx) =>
      insertEvents(trx, dialect, [hashed('replay-1', HASH_A), hashed('fresh-1', HASH_B), hashed('replay-2', HASH_A)], Date.now()),
    );
    expect(replays.map((r) => [r.outcome, r.eventId])).to.deep.equal([
      ['duplicate', 'orig-1'],
      ['accepted', 'fresh-1'],
      ['duplicate', 'orig-1'],
    ]);
    const rows = await db().knex('webhook_outbox').whereIn('event_id', ['orig-1', 'replay-1', 'replay-2', 'fresh-1']).pluck('event_id');
    expect(rows.sort()).to.deep.equal(['fresh-1', 'orig-1']);
    const stored = await db().knex('webhook_dedupe').where({ partner: 'acme', event_id: 'orig-1' }).first();
    expect(stored.body_sha256).to.equal(HASH_A);
  });

  it('dedupes equal body hashes within one batch and never matches events stored without a hash', async () => {
    const dialect = dialectOf(db().knex);
    const results = await db().knex.transaction((trx) =>
      insertEvents(trx, dialect, [hashed('same-b', 'c'.repeat(64)), hashed('same-a', 'c'.repeat(64)), event('nohash-1'), event('nohash-2')], Date.now()),
    );
    // Rows go in key order, so the one that sorts first is the original.
    expect(results.map((r) => [r.outcome, r.eventId])).to.deep.equal([
      ['duplicate', 'same-a'],
      ['accepted', 'same-a'],
      ['accepted', 'nohash-1'],
      ['accepted', 'nohash-2'],
    ]);
  });
});
