import { expect } from 'chai';
import type { Knex } from 'knex';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { inConnectionTransaction } from '../../plugin/store/connection-transaction.js';
import { BASIC_INSERT, detectInsertCapabilities, insertEvents, insertEventsIn, type InboundEvent, type InsertCapabilities } from '../../plugin/store/outbox-insert.js';
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

  describe('the ids handed to the fast path', () => {
    const claim = (lockedBy: string) => ({ lockedBy, lockedUntilMs: Date.now() + 60_000 });
    /** Commits as ingest does (its own transaction on a pooled connection), every event claimed by `lockedBy`. */
    const ingest = (knex: Knex, events: InboundEvent[], lockedBy: string, capabilities: InsertCapabilities) => {
      const dialect = dialectOf(knex);
      const mine = claim(lockedBy);
      return inConnectionTransaction(knex, dialect, (session) => insertEventsIn(session, dialect, events, Date.now(), events.map(() => mine), capabilities));
    };
    /** Every id must name the row of its own event, claimed by the process that wrote it. */
    async function expectOwnRows(events: InboundEvent[], ids: Array<number | null>, lockedBy: string) {
      expect(ids.every((id) => typeof id === 'number')).to.equal(true);
      const rows: Array<{ id: number | string; event_id: string; locked_by: string; status: string }> = await db()
        .knex('webhook_outbox')
        .select('id', 'event_id', 'locked_by', 'status')
        .whereIn('id', ids as number[]);
      const byId = new Map(rows.map((row) => [Number(row.id), row]));
      events.forEach((e, i) => expect(byId.get(ids[i]!), e.eventId).to.include({ event_id: e.eventId, locked_by: lockedBy, status: 'processing' }));
    }

    it('asks the server whether INSERT ... RETURNING exists (MariaDB and SQLite: yes; MySQL 8: no)', async () => {
      const knex = db().knex;
      const version = String(dialectOf(knex).rawRows<{ v: string }>(await knex.raw(dialectOf(knex).name === 'mysql' ? 'select version() as v' : 'select sqlite_version() as v'))[0]!.v);
      const expected = dialectOf(knex).name === 'sqlite' || /mariadb/i.test(version);
      expect(await detectInsertCapabilities(knex, dialectOf(knex))).to.deep.equal({ returning: expected });
    });

    for (const [label, capabilities] of [['with INSERT ... RETURNING where the server has it', null], ['read back by key, as on MySQL 8 (no RETURNING)', BASIC_INSERT]] as const) {
      it(`names each process's own rows when two processes commit claimed batches at once, ${label}`, async () => {
        // SQLite has one writer: a second pool's deferred transactions would only meet SQLITE_BUSY.
        const sqlite = dialectOf(db().knex).name === 'sqlite';
        const other = sqlite ? db().knex : db().open({ poolMax: 4 });
        try {
          const can = capabilities ?? (await detectInsertCapabilities(db().knex, dialectOf(db().knex)));
          const tag = capabilities ? 'basic' : 'detected';
          const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 40 }, (_, i) => event(`fast_${tag}_${b}_${i}`, 300)));
          // Interleaved on purpose: the two pools' inserts run at the same time, as two CRM processes' would.
          const results = await Promise.all(batches.map((batch, b) => ingest(b % 2 ? other : db().knex, batch, b % 2 ? 'proc-b' : 'proc-a', can)));
          for (const [b, batch] of batches.entries()) {
            expect(results[b]!.map((r) => r.outcome)).to.deep.equal(batch.map(() => 'accepted'));
            await expectOwnRows(batch, results[b]!.map((r) => r.outboxId), b % 2 ? 'proc-b' : 'proc-a');
          }
        } finally {
          if (!sqlite) await other.destroy();
        }
      });
    }

    it('gives no id for a duplicate, and the right ids for the new events around it', async () => {
      const knex = db().knex;
      const can = await detectInsertCapabilities(knex, dialectOf(knex));
      await ingest(knex, [event('around_1')], 'proc-a', can);
      const batch = [event('around_0'), event('around_1'), event('around_2')];
      const results = await ingest(knex, batch, 'proc-a', can);
      expect(results.map((r) => r.outcome)).to.deep.equal(['accepted', 'duplicate', 'accepted']);
      expect(results[1]!.outboxId).to.equal(null);
      await expectOwnRows([batch[0]!, batch[2]!], [results[0]!.outboxId, results[2]!.outboxId], 'proc-a');
    });
  });
});
