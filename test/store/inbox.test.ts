import { expect } from 'chai';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { insertEvents, type InboundEvent } from '../../plugin/store/inbox.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logger.js';

const event = (eventId: string, bytes = 10): InboundEvent => ({
  partner: 'acme',
  eventId,
  eventType: 't',
  payload: JSON.stringify({ id: eventId, pad: 'x'.repeat(bytes) }),
  headers: '{}',
});

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
});
