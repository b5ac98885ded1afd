import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { createEventCommitter } from '../../plugin/ingest/commit-events.js';
import { createDbClock } from '../../plugin/store/db-clock.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import type { InboundEvent } from '../../plugin/store/outbox-insert.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { recordingLogger } from '../helpers/logger.js';
import { post } from '../helpers/requests.js';

const SECRET = 'batch-atomicity-secret-0123456789';
const POISON = 'poison';

/** A real database refusal in the middle of a batch: the outbox INSERT of one event id fails. */
async function poisonOutboxInserts(knex: Knex): Promise<void> {
  if (knex.client.config.client === 'mysql2') {
    await knex.raw(`CREATE TRIGGER webhook_test_poison BEFORE INSERT ON webhook_outbox FOR EACH ROW
      BEGIN IF NEW.event_id = '${POISON}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poisoned row'; END IF; END`);
  } else {
    await knex.raw(`CREATE TRIGGER webhook_test_poison BEFORE INSERT ON webhook_outbox
      WHEN NEW.event_id = '${POISON}' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`);
  }
}

const event = (partner: string, eventId: string): InboundEvent => ({
  partner,
  eventId,
  eventType: 'test',
  payload: JSON.stringify({ id: eventId }),
  headers: '{}',
  bodySha256: null,
});

/**
 * Issue 10 item 6: a request's events are one unit. When the database refuses one of them after the
 * others were written in the same transaction, none of them stays: no dedupe row (which would make
 * the partner's retry a "duplicate" of events never stored) and no outbox row.
 */
describeEachDatabase('a batch is never half committed', (db) => {
  let host: TestHost;
  const sign = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');
  const send = (items: object[]) => {
    const body = JSON.stringify(items);
    return post(host.url('batcher'), { body, headers: { 'content-type': 'application/json', 'x-sig': sign(body) } });
  };
  const count = async (table: string, partner: string) => (await db().knex(table).where({ partner })).length;

  before(async () => {
    host = await startTestHost(db().knex);
    await poisonOutboxInserts(db().knex);
    const signatureSpec = { signature: { from: 'header:x-sig' }, algorithm: 'hmac-sha256', encoding: 'hex', content: ['body'], batch: { from: 'body', id: ['id'], type: ['type'] } };
    await host.plugin.partners.add({ slug: 'batcher', scheme: 'custom', secret: SECRET, settings: { signatureSpec } });
  });
  after(async () => {
    await host?.close();
  });

  it('answers 503 and keeps no row of a batch whose middle event the database refuses; the retry without it commits', async () => {
    const refused = await send([{ id: 'a1', type: 't' }, { id: POISON, type: 't' }, { id: 'a3', type: 't' }]);
    expect(refused.status).to.equal(503);
    expect(refused.body).to.deep.include({ error: 'store_unavailable' });
    expect(await count('webhook_outbox', 'batcher')).to.equal(0);
    expect(await count('webhook_dedupe', 'batcher')).to.equal(0);

    const retried = await send([{ id: 'a1', type: 't' }, { id: 'a3', type: 't' }]);
    expect(retried.status).to.equal(202);
    expect(retried.body).to.deep.equal({ status: 'accepted', id: 'a1', events: 2, accepted: 2 });
    expect(await count('webhook_outbox', 'batcher')).to.equal(2);
  });

  it('splits a failed shared commit by request, never by event: the poisoned request loses all its events, the others keep theirs', async () => {
    const knex = db().knex;
    const logger = recordingLogger();
    const fastPath = { reserve: () => [], release: () => undefined, dispatch: () => undefined, wake: () => undefined };
    const commit = createEventCommitter({
      knex,
      dialect: dialectOf(knex),
      dbClock: createDbClock(knex, dialectOf(knex), { now: () => Date.now() }),
      logger,
      maxBatchSize: 200,
      maxWaiting: 100,
      maxWaitingBytes: 1024 * 1024,
      maxBatchBytes: 1024 * 1024,
      maxConcurrentCommits: 1,
      deadlockRetries: 0,
      retryAfterSeconds: 1,
      fastPath,
    });
    // The first unit takes the only commit slot; the next three wait and share the next transaction.
    const first = commit([event('split', 'lead')]);
    const settled = await Promise.allSettled([
      first,
      commit([event('split', 'b1'), event('split', 'b2')]),
      commit([event('split', 'p1'), event('split', POISON), event('split', 'p3')]),
      commit([event('split', 'c1')]),
    ]);
    expect(settled.map((s) => s.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const second = settled[1] as PromiseFulfilledResult<Array<{ outcome: string }>>;
    expect(second.value.map((r) => r.outcome)).to.deep.equal(['accepted', 'accepted']);
    expect(logger.lines.some((l) => l.msg === 'batch failed; committing its requests one by one' && l.fields.requests === 3)).to.equal(true);
    const stored = (await knex('webhook_outbox').where({ partner: 'split' }).orderBy('event_id')).map((r) => r.event_id);
    expect(stored).to.deep.equal(['b1', 'b2', 'c1', 'lead']);
    const deduped = (await knex('webhook_dedupe').where({ partner: 'split' }).orderBy('event_id')).map((r) => r.event_id);
    expect(deduped).to.deep.equal(['b1', 'b2', 'c1', 'lead']);
  });
});
