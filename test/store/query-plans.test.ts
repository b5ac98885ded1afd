import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { createOutboxAdmin } from '../../plugin/outbox/outbox-admin.js';
import { countDeadBefore, countDeadSince, readBacklog } from '../../plugin/store/backlog.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { migrateLatest } from '../../plugin/store/migrate.js';
import { recoverExpiredClaims } from '../../plugin/store/claims.js';
import { whereOrderAllows } from '../../plugin/store/order-claim.js';
import { deleteDedupe, deleteFinished, selectExpiredDedupe, selectExpiredDedupeByKey, selectFinished } from '../../plugin/store/outbox-prune.js';
import { listOutboxPage } from '../../plugin/store/outbox-page.js';
import { readOutboxStats } from '../../plugin/store/outbox-stats.js';
import { selectDeadIds } from '../../plugin/store/outbox-replay.js';
import { systemClock } from '../../plugin/types.js';
import { explain, recordStatements, type PlanLine } from '../../scripts/bench/scale/plans.js';
import { DEFAULT_SHAPE, seedOutbox } from '../../scripts/bench/scale/seed.js';
import { packageRoot } from '../../scripts/build-manifest.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/databases.js';

const DAY_MS = 86_400_000;

/** The EXPLAIN lines of every statement `work` sends. */
async function plansOf(knex: Knex, work: () => Promise<unknown>): Promise<PlanLine[][]> {
  const { statements } = await recordStatements(knex, work);
  const plans: PlanLine[][] = [];
  for (const statement of statements) plans.push(await explain(knex, statement));
  return plans.filter((p) => p.length > 0);
}

/** A plan that reads an index range (or a few keys) and neither scans a whole table or index nor sorts. */
function expectIndexed(plan: PlanLine[] | undefined, what: string, keys: readonly string[]): void {
  expect(plan, `${what}: no plan`).to.have.length.above(0);
  for (const line of plan!) {
    const label = `${what}: ${JSON.stringify(line)}`;
    // MariaDB may add a rowid filter ("ref|filter") built from another index: still no scan.
    expect(line.type, label).to.match(/^(ref|range|eq_ref|const|ref_or_null|index_merge)(\|filter)?$/);
    expect(line.extra, label).not.to.match(/filesort|temporary|materializ/i);
  }
  expect(plan![0]!.key?.split('|')[0], what).to.be.oneOf(keys as string[]);
}

// EXPLAIN's output and the statement-time limit are MySQL/MariaDB's: these run where the suite has one.
if (databaseKinds().includes('mysql')) {
  describe('query plans at scale [MySQL/MariaDB]', function () {
    this.timeout(120_000);
    let database: TestDatabase;
    let knex: Knex;

    before(async () => {
      database = await createTestDatabase('mysql');
      knex = database.knex;
      await migrateLatest(knex, dialectOf(knex));
      // Big enough that the optimizer prefers a full scan wherever no index serves a query.
      await seedOutbox(knex, { ...DEFAULT_SHAPE, rows: 40_000, deadEvery: 4, payloadBytes: 100 }, () => undefined);
    });
    after(async () => database?.destroy());

    it('lists rows for every filter through an index, newest first without sorting', async () => {
      const admin = createOutboxAdmin({ knex, dialect: dialectOf(knex), clock: systemClock });
      const filters = [
        [{ status: 'dead' as const }, ['idx_webhook_outbox_status_id']],
        [{ partner: 'partner-07' }, ['idx_webhook_outbox_partner_id']],
        [{ partner: 'partner-07', status: 'dead' as const }, ['idx_webhook_outbox_stats']],
        // A partner that holds many dead rows: MariaDB merged (status, id) with (status, partner) here (1.3 s at 2M rows).
        [{ partner: 'partner-01', status: 'dead' as const }, ['idx_webhook_outbox_stats']],
      ] as const;
      for (const [filter, keys] of filters) {
        const [plan] = await plansOf(knex, () => admin.list(filter));
        expectIndexed(plan, `list ${JSON.stringify(filter)}`, keys);
      }
      // The admin page's event-id search without a partner: the partners with rows (a loose index
      // scan), then an unfinished event through (partner, open_event_id) and a done one through its
      // dedupe row's key and received_at, then the page by id.
      const [{ event_id: doneEventId }] = await knex('webhook_outbox').select('event_id').where('status', 'done').orderBy('id').limit(1);
      const [partners, open, done, page] = await plansOf(knex, async () => {
        const found = await listOutboxPage(knex, dialectOf(knex), { eventId: doneEventId, limit: 50 });
        expect(found.rows, 'the done event is found').to.have.length(1);
      });
      expect(partners![0]!.extra, 'partners with rows').to.match(/Using index for group-by/);
      expectIndexed(open, 'search an unfinished event', ['idx_webhook_outbox_open_event']);
      expect(done![0], 'search a done event: its dedupe rows').to.include({ key: 'PRIMARY' });
      expect(done![1]?.key?.split('|')[0], 'search a done event: its outbox row').to.equal('idx_webhook_outbox_received');
      expectIndexed(page, 'the page, by id', ['PRIMARY']);
      const [unfiltered] = await plansOf(knex, () => admin.list({}));
      expect(unfiltered![0]).to.include({ key: 'PRIMARY' });
      expect(unfiltered![0]!.extra).not.to.match(/filesort/);
    });

    it('counts the dead rows of the alert and of /_health through (status, processed_at)', async () => {
      const dialect = dialectOf(knex);
      const [since] = await plansOf(knex, () => countDeadSince(knex, Date.now() - 300_000, dialect, { timeLimitMs: 1000 }));
      expectIndexed(since, 'countDeadSince', ['idx_webhook_outbox_finished']);
      const [before] = await plansOf(knex, () => countDeadBefore(knex, dialect, Date.now() - 60_000));
      expectIndexed(before, 'countDeadBefore', ['idx_webhook_outbox_finished', 'idx_webhook_outbox_status_id']);
      for (const plan of await plansOf(knex, () => readBacklog(knex, dialect, { countDead: async () => 0 }))) {
        // A derived table (the blocked-keys grouping) is read whole by definition; what it is built
        // from is checked like every other line.
        for (const line of plan.filter((l) => !String(l.table).startsWith('<derived'))) {
          expect(line.type, JSON.stringify(line)).not.to.be.oneOf(['ALL', 'index']);
        }
      }
    });

    it('finds expired leases through (status, locked_until)', async () => {
      const [plan] = await plansOf(knex, () => recoverExpiredClaims(knex, { nowMs: Date.now() - DAY_MS, maxAttempts: 10 }));
      expectIndexed(plan, 'lease recovery', ['idx_webhook_outbox_lease']);
    });

    it('reads each prune and replay batch as an index range, probing the outbox by event for dedupe rows', async () => {
      const dialect = dialectOf(knex);
      const cutoffMs = Date.now() - 7 * DAY_MS;
      const [done] = await plansOf(knex, () => selectFinished(knex, dialect, { status: 'done', cutoffMs, after: null, limit: 1000 }));
      expectIndexed(done, 'prune done, first batch', ['idx_webhook_outbox_finished']);
      const [doneNext] = await plansOf(knex, () => selectFinished(knex, dialect, { status: 'done', cutoffMs, after: { at: '2000-01-01 00:00:00.000', id: 5 }, limit: 1000 }));
      expectIndexed(doneNext, 'prune done, next batch', ['idx_webhook_outbox_finished']);
      const [doneAfterUntimed] = await plansOf(knex, () => selectFinished(knex, dialect, { status: 'done', cutoffMs, after: { at: null, id: 5 }, limit: 1000 }));
      expectIndexed(doneAfterUntimed, 'prune done, after rows without processed_at', ['idx_webhook_outbox_finished']);
      const [dedupe] = await plansOf(knex, () => selectExpiredDedupe(knex, dialect, { cutoffMs, after: null, limit: 1000 }));
      expectIndexed(dedupe, 'prune dedupe', ['idx_webhook_dedupe_received']);
      // The anti-join probes the outbox's unfinished events, (partner, open_event_id): one index dive per dedupe row.
      const [first, probe] = dedupe!.map((l) => l.key?.split('|')[0]);
      expect(first).to.equal('idx_webhook_dedupe_received');
      expect(probe).to.equal('idx_webhook_outbox_open_event');
      // A pass over many expired rows walks the primary key instead, probing the outbox in the same order.
      const [byKey] = await plansOf(knex, () => selectExpiredDedupeByKey(knex, dialect, { cutoffMs, after: null, limit: 1000 }));
      expect(byKey![0], 'prune dedupe by key, first batch').to.include({ key: 'PRIMARY' });
      expect(byKey![0]!.type).to.be.oneOf(['index', 'range']);
      const [byKeyNext] = await plansOf(knex, () => selectExpiredDedupeByKey(knex, dialect, { cutoffMs, after: ['partner-05', 'evt_8'], limit: 1000 }));
      expectIndexed(byKeyNext, 'prune dedupe by key, next batch', ['PRIMARY']);
      for (const plan of [byKey!, byKeyNext!]) {
        expect(plan.map((l) => l.extra).join(' ')).not.to.match(/filesort|temporary/i);
        expect(plan[1]?.key?.split('|')[0]).to.equal('idx_webhook_outbox_open_event');
      }
      // Every batch's DELETE finds its rows by primary key.
      const [deleteDone] = await plansOf(knex, () => deleteFinished(knex, [5, 6, 7], 'done', cutoffMs));
      expectIndexed(deleteDone, 'delete done batch', ['PRIMARY', 'idx_webhook_outbox_status_id']);
      const [deleteKeys] = await plansOf(knex, () => deleteDedupe(knex, [['partner-05', 'evt_1'], ['partner-06', 'evt_2']], cutoffMs));
      expectIndexed(deleteKeys, 'delete dedupe batch', ['PRIMARY']);
      const [replay] = await plansOf(knex, () => selectDeadIds(knex, dialect, { partner: 'partner-03', afterId: 0, limit: 1000 }));
      expectIndexed(replay, 'replay dead', ['idx_webhook_outbox_stats', 'idx_webhook_outbox_partner_id']);
      const [replayAll] = await plansOf(knex, () => selectDeadIds(knex, dialect, { afterId: 0, limit: 1000 }));
      expectIndexed(replayAll, 'replay all dead', ['idx_webhook_outbox_status_id']);
    });

    it('counts outbox stats on (status, partner) ranges, sampling a big status without reading it whole', async () => {
      const dialect = dialectOf(knex);
      // Bounds scaled down to the 40,000 seeded rows, so that done (and dead) take the sampled path.
      const limits = { exactUpTo: 2000, sampleIds: 2000 };
      const { result, statements } = await recordStatements(knex, () => readOutboxStats(knex, dialect, { limits }));
      expect(result.estimated).to.include('done');
      const [[{ n: done }]] = (await knex.raw("SELECT COUNT(*) AS n FROM webhook_outbox WHERE status = 'done'")) as [[{ n: number }]];
      let sampled = 0;
      for (const statement of statements) {
        const lines = (await explain(knex, statement)).filter((l) => !l.table.startsWith('<derived'));
        for (const line of lines) {
          const label = `${statement.sql}: ${JSON.stringify(line)}`;
          expect(line.type, label).not.to.be.oneOf(['ALL', 'index']);
          expect(line.extra, label).not.to.match(/filesort|temporary/i);
        }
        if (/FORCE INDEX/.test(statement.sql)) {
          sampled += 1;
          expect(lines[0], statement.sql).to.include({ type: 'range', key: 'idx_webhook_outbox_stats' });
          expect(lines[0]!.rows, 'the sample reads a few ranges, not every done row').to.be.below(Number(done) / 4);
        }
      }
      expect(sampled, 'one sampled count per estimated status').to.equal(result.estimated.length);
    });

    it('stops a time-limited read on the server when its limit passes', async () => {
      const sql = dialectOf(knex).limitStatementTime('SELECT SLEEP(5) AS slept', 200);
      // MariaDB fails the statement (1969); MySQL's SLEEP returns 1 when interrupted. Unlimited, it returns 0 after 5 s.
      const outcome = await knex.raw(sql).then(
        ([rows]: [Array<{ slept: number }>]) => `slept:${rows[0]!.slept}`,
        (error: { errno?: number }) => `error:${error.errno}`,
      );
      expect(outcome).to.be.oneOf(['error:1969', 'error:3024', 'slept:1']);
    });

    it('compares status byte for byte, so DEAD or "dead " match nothing', async () => {
      const count = async (status: string) => Number((await knex('webhook_outbox').where('status', status).count({ n: '*' }))[0]!.n);
      expect(await count('dead')).to.be.above(0);
      expect(await count('DEAD')).to.equal(0);
      expect(await count('dead ')).to.equal(0);
    });

    it('locks only its own batch with the documented hand replay', async () => {
      const text = readFileSync(join(packageRoot(), 'docs', 'dba.md'), 'utf8');
      const replay = [...text.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim()).find((sql) => /^UPDATE/i.test(sql));
      expect(replay).to.be.a('string');
      const forPartner = replay!.replace(/'acme'/g, "'partner-05'").replace(/LIMIT 1000/g, 'LIMIT 100');
      const forAll = forPartner.replace(/\s*AND partner = 'partner-05'/g, '');
      expect(forAll).not.to.include('partner-05');
      for (const sql of [forPartner, forAll]) {
        const trx = await knex.transaction();
        let locked: number;
        try {
          const [result] = (await trx.raw(sql)) as [{ affectedRows: number }];
          expect(result.affectedRows).to.equal(100);
          const [[row]] = (await trx.raw('SELECT trx_rows_locked AS n FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID()')) as [[{ n: number }]];
          locked = Number(row!.n);
        } finally {
          await trx.rollback();
        }
        // Per replayed row its index entry and its row, plus the next entry that ends the range;
        // a statement walking the primary key locks thousands here.
        expect(locked, sql).to.be.within(100, 2 * 100 + 10);
      }
    });

    it("checks an ordered row's earlier events of its key through idx_webhook_outbox_order, also while the table's statistics are stale", async () => {
      // The ordering test's shape: a fresh table filled faster than InnoDB refreshes its statistics
      // (frozen here with STATS_AUTO_RECALC=0), 2 senders, 200 records, half done. With those
      // statistics MariaDB chose (partner, id) for the subquery: every row of the partner per candidate.
      const fresh = await createTestDatabase('mysql');
      try {
        const db = fresh.knex;
        const dialect = dialectOf(db);
        await migrateLatest(db, dialect);
        await db.raw('ALTER TABLE webhook_outbox STATS_AUTO_RECALC=0');
        await db.raw('ANALYZE TABLE webhook_outbox');
        const at = '2026-01-01 00:00:00.000';
        const rows = Array.from({ length: 10_000 }, (_, i) => ({
          partner: `sender-${i % 2}`,
          event_id: `e${i}`,
          payload: '{}',
          headers: '{}',
          status: i % 2 === 0 ? 'done' : 'pending',
          attempts: 0,
          next_attempt_at: at,
          received_at: at,
          processed_at: i % 2 === 0 ? at : null,
          order_key: `record-${i % 200}`,
          order_version: Math.floor(i / 200),
          order_on_dead: 'continue',
        }));
        for (let i = 0; i < rows.length; i += 500) await db('webhook_outbox').insert(rows.slice(i, i + 500));
        const candidates = whereOrderAllows(db('webhook_outbox').select('id').where('status', 'pending').andWhere('next_attempt_at', '<=', db.raw(dialect.nowSql)).orderBy('next_attempt_at').limit(30), db, dialect);
        const plan = await explain(db, candidates.toSQL());
        const subquery = plan.filter((line) => line.table === 'p');
        expect(subquery, JSON.stringify(plan)).to.have.length(1);
        expect(subquery[0]!.key, JSON.stringify(plan)).to.equal('idx_webhook_outbox_order');
      } finally {
        await fresh.destroy();
      }
    });
  });
}
