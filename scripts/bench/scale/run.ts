/**
 * npm run bench:scale -- [--rows N] [--url mysql://...] [--reuse] [--prune-rows N] [--batch-size N] [--only-prune]
 *
 * Issue 16's scale run: seeds N outbox rows and their dedupe rows (default 2,000,000) into a MariaDB
 * database of its own, then times every docs/dba.md query, every `outbox` CLI command (through the
 * same OutboxAdmin functions the CLI calls), the admin list with each filter, /_health, /_metrics,
 * the dead-rows alert count, one claim, lease recovery and both prune phases, each printed with its
 * EXPLAIN access type and key. Each prune phase runs beside live ingest (100 events/s, as issue 16's DBA
 * sent), whose commit p99 is compared with its p99 when idle. Not part of `npm test`: speed belongs
 * here, not in assertions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import type { Knex } from 'knex';
import { createWebhooksPlugin } from '../../../plugin/index.js';
import { createOutboxAdmin, DEFAULT_BATCH_SIZE, DEFAULT_PRUNE_STREAMS } from '../../../plugin/outbox/outbox-admin.js';
import { pruneDedupeRows, pruneFinishedRows } from '../../../plugin/outbox/prune.js';
import { countDeadSince, readBacklog } from '../../../plugin/store/backlog.js';
import { openDatabase } from '../../../plugin/store/connect.js';
import { dialectOf } from '../../../plugin/store/dialect.js';
import { fromDbTime } from '../../../plugin/store/time.js';
import { countOutboxRows, listOutboxPage, type OutboxPageFilter } from '../../../plugin/store/outbox-page.js';
import { migrateLatest } from '../../../plugin/store/migrate.js';
import { claimDue, recoverExpiredClaims } from '../../../plugin/store/claims.js';
import type { Logger } from '../../../plugin/types.js';
import { packageRoot } from '../../build-manifest.js';
import { planOf, recordStatements } from './plans.js';
import { startIngest, type IngestFigures } from './ingest-load.js';
import { DEFAULT_SHAPE, SEEDED_ERROR, seedOutbox } from './seed.js';

interface Args {
  rows: number;
  url: string;
  reuse: boolean;
  pruneRows: number;
  batchSize: number;
  onlyPrune: boolean;
  partner: string;
  streams: number;
}

/**
 * The partner of the per-partner figures. The seed makes row n dead when n % 50 = 1 and gives it
 * partner n % 20, so partner-01 and partner-11 hold every dead row: with partner-01 the replay of
 * one partner's dead rows has about 20,000 rows to replay.
 */
const DEFAULT_PARTNER = 'partner-01';

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { rows: 2_000_000, url: process.env.WEBHOOKS_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/crmwh_scale_bench', reuse: false, pruneRows: 20_000, batchSize: DEFAULT_BATCH_SIZE, onlyPrune: false, partner: DEFAULT_PARTNER, streams: DEFAULT_PRUNE_STREAMS };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--reuse' || flag === '--only-prune') {
      if (flag === '--reuse') args.reuse = true;
      else args.onlyPrune = true;
      continue;
    }
    const value = String(argv[i + 1]);
    i += 1;
    if (flag === '--rows') args.rows = Number(value);
    else if (flag === '--url') args.url = value;
    else if (flag === '--prune-rows') args.pruneRows = Number(value);
    else if (flag === '--batch-size') args.batchSize = Number(value);
    else if (flag === '--partner') args.partner = value;
    else if (flag === '--streams') args.streams = Number(value);
    else throw new Error(`unknown argument ${flag}; use --rows N, --url URL, --prune-rows N, --batch-size N, --partner SLUG, --streams N, --reuse, --only-prune`);
  }
  if (!Number.isSafeInteger(args.rows) || args.rows < 10_000) throw new Error('--rows must be a whole number of at least 10000');
  return args;
}

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

interface Row {
  what: string;
  ms: number;
  plan: string;
  note?: string;
}

/** Median of three warm runs (after one warm-up), with the plan of the statements the first sent. */
async function time(knex: Knex, what: string, work: () => Promise<unknown>, options: { reps?: number; pauseMs?: number } = {}): Promise<Row> {
  const reps = options.reps ?? 3;
  const { statements } = await recordStatements(knex, work);
  const samples: number[] = [];
  for (let i = 0; i < reps; i += 1) {
    if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { what, ms: samples[Math.floor(samples.length / 2)]!, plan: await planOf(knex, statements) };
}

/** Times a write once (it changes the data), with its plan. */
async function timeOnce(knex: Knex, what: string, work: () => Promise<unknown>): Promise<Row & { result: unknown }> {
  const started = performance.now();
  const { statements, result } = await recordStatements(knex, work);
  const ms = performance.now() - started;
  return { what, ms, plan: await planOf(knex, statements), result };
}

function sqlBlocks(): string[] {
  const text = readFileSync(join(packageRoot(), 'docs', 'dba.md'), 'utf8');
  return [...text.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
}

/** The first comment-free line of a documented query, to name it in the table. */
const nameOf = (sql: string) => sql.replace(/\s+/g, ' ').slice(0, 60);

async function prepare(args: Args, log: (line: string) => void): Promise<Knex> {
  const url = new URL(args.url);
  const database = url.pathname.replace(/^\//, '');
  if (!/bench|scale/.test(database)) throw new Error(`refusing to seed "${database}": name the database with "bench" or "scale" in it`);
  const adminUrl = new URL(args.url);
  adminUrl.pathname = '/mysql';
  const admin = openDatabase(adminUrl.toString(), { poolMax: 1 });
  if (!args.reuse) {
    await admin.raw(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.raw(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
  }
  await admin.destroy();
  const knex = openDatabase(args.url, { poolMax: 4 });
  const started = Date.now();
  const applied = await migrateLatest(knex, dialectOf(knex));
  if (args.reuse && applied.length > 0) log(`applied ${applied.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!args.reuse) await seedOutbox(knex, { rows: args.rows, ...DEFAULT_SHAPE }, log);
  return knex;
}

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const seedStarted = Date.now();
  const knex = await prepare(args, log);
  // Printed as they come: a run at 2,000,000 rows takes a while, and a late failure keeps the rest.
  const rows = {
    push(row: Row) {
      process.stdout.write(`| ${row.what} | ${row.ms.toFixed(1)} | ${row.plan || '-'}${row.note ? ` (${row.note})` : ''} |\n`);
    },
  };
  const [[version]] = (await knex.raw('SELECT VERSION() AS v, @@innodb_buffer_pool_size AS pool')) as [[{ v: string; pool: string }]];
  const [[counts]] = (await knex.raw('SELECT (SELECT COUNT(*) FROM webhook_outbox) AS outbox, (SELECT COUNT(*) FROM webhook_dedupe) AS dedupe')) as [[{ outbox: number; dedupe: number }]];
  log(`seeded/reused in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s: ${counts.outbox} outbox rows, ${counts.dedupe} dedupe rows`);
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.versions.node}, ${version.v}, buffer pool ${Math.round(Number(version.pool) / 2 ** 20)} MiB`;
  process.stdout.write(`\nScale run: ${counts.outbox} outbox rows, ${counts.dedupe} dedupe rows; ${machine}\n\n`);
  process.stdout.write(`Load average at the start: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n\n`);
  process.stdout.write('| operation | ms | plan (table access/key) |\n| --- | ---: | --- |\n');

  if (!args.onlyPrune) await timeQueries(knex, args, rows.push);
  await prunePhases(knex, args, rows.push);
  process.stdout.write(`\nLoad average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  await knex.destroy();
}

async function timeQueries(knex: Knex, args: Args, push: (row: Row) => void): Promise<void> {
  const dialect = dialectOf(knex);
  const admin = createOutboxAdmin({ knex, dialect, clock: { now: () => Date.now() } });
  const plugin = createWebhooksPlugin({ knex, logger: silent });
  const rows = { push };
  for (const sql of sqlBlocks().filter((b) => /^SELECT/i.test(b))) {
    rows.push(await time(knex, `dba.md: ${nameOf(sql)}`, () => knex.raw(sql)));
  }
  const partner = args.partner;
  const [{ id: deadId } = { id: 0 }] = await knex('webhook_outbox').select('id').where({ status: 'dead' }).orderBy('id').limit(1);
  rows.push(await time(knex, 'outbox stats', () => admin.stats()));
  rows.push(await time(knex, 'outbox stats --exact', () => admin.stats({ exact: true })));
  rows.push(await time(knex, 'outbox list (no filter)', () => admin.list({})));
  for (const status of ['pending', 'processing', 'done', 'dead'] as const) {
    rows.push(await time(knex, `outbox list --status ${status}`, () => admin.list({ status })));
  }
  rows.push(await time(knex, `outbox list --partner ${partner}`, () => admin.list({ partner })));
  rows.push(await time(knex, `outbox list --partner ${partner} --status dead`, () => admin.list({ partner, status: 'dead' })));
  rows.push(await time(knex, `outbox list --partner ${partner} --status pending`, () => admin.list({ partner, status: 'pending' })));
  rows.push(await time(knex, 'outbox show <id>', () => admin.show(Number(deadId))));
  // The admin page's events table (GET /_admin/outbox) with the filters the CLI lacks.
  const page = (filter: OutboxPageFilter) => listOutboxPage(knex, dialect, { ...filter, limit: 50 });
  const [{ event_id: deadEventId } = { event_id: 'none' }] = await knex('webhook_outbox').select('event_id').where({ id: deadId });
  rows.push(await time(knex, 'admin list: event id, any partner', () => page({ eventId: deadEventId })));
  rows.push(await time(knex, 'admin list: event type', () => page({ eventType: 'contact.updated' })));
  rows.push(await time(knex, 'admin list: the last hour', () => page({ fromMs: Date.now() - 3_600_000 })));
  rows.push(await time(knex, 'admin list: one hour a day ago', () => page({ fromMs: Date.now() - 25 * 3_600_000, toMs: Date.now() - 24 * 3_600_000 })));
  rows.push(await time(knex, `admin count: ${partner}'s dead rows (replay dialog)`, () => countOutboxRows(knex, { partner, status: 'dead' })));
  rows.push(await time(knex, 'health figures (uncached)', () => readBacklog(knex, dialect)));
  rows.push(await time(knex, 'GET /_health', () => plugin.health(), { pauseMs: 1100 }));
  rows.push(await time(knex, 'GET /_metrics', () => plugin.metrics.metrics(), { pauseMs: 1100 }));
  rows.push(await time(knex, 'dead_rows_added alert count (300 s)', () => countDeadSince(knex, Date.now() - 300_000)));
  rows.push(await time(knex, 'lease recovery (nothing expired)', () => recoverExpiredClaims(knex, { nowMs: Date.now() - 86_400_000, maxAttempts: 10 })));
  rows.push(await timeOnce(knex, 'lease recovery (20 expired)', () => recoverExpiredClaims(knex, { nowMs: Date.now(), maxAttempts: 10 })));
  rows.push(await timeOnce(knex, 'claim (100 rows)', () => claimDue(knex, dialect, { lockedBy: 'scale-bench', nowMs: Date.now(), claimMs: 60_000, limit: 100 })));
  rows.push(await timeOnce(knex, 'outbox replay <id>', () => admin.replay([Number(deadId)])));

  const replay = await timeOnce(knex, `outbox replay --status dead --partner ${partner}`, () => admin.replayWhere({ status: 'dead', partner }));
  const replayed = (replay.result as { replayed: number }).replayed;
  rows.push({ ...replay, note: `${replayed} rows, ${Math.round(replayed / (replay.ms / 1000))} rows/s` });
  // Put the seeded dead rows back, so that a later run (--reuse) finds the same shape.
  await knex.raw(
    `UPDATE webhook_outbox SET status = 'dead', attempts = 10, processed_at = received_at + INTERVAL 3 HOUR
     WHERE status = 'pending' AND last_error = ? AND attempts = 0`,
    [SEEDED_ERROR],
  );

}

/** Both prune phases, each beside live ingest; first the ingest alone, for its idle p99. */
async function prunePhases(knex: Knex, args: Args, push: (row: Row) => void): Promise<void> {
  const ingestDb = openDatabase(args.url, { poolMax: 4 });
  const load = () => startIngest(ingestDb, dialectOf(ingestDb), { perSecond: 100, partner: args.partner });
  try {
    const idleLoad = load();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const idle = await idleLoad.stop();
    push({ what: 'ingest alone, 100 events/s for 10 s', ms: idle.p99Ms, plan: '-', note: ingestNote(idle) });
    // The dedupe phase twice: first up to where the done prune has reached, as in real use (dedupe
    // rows outlive done rows, and the outbox goes first), then at 7 days, where the outbox still
    // holds most of those events' done rows (its worst case: each anti-join probe reads an outbox
    // row). In this order each finds the rows it is about spread evenly over time, as a real table
    // has them: the 7-day pass, walking the key, takes expired rows of every age.
    const sevenDays = Date.now() - 7 * 86_400_000;
    const phases = [
      { phase: 'webhook_outbox' as const, cutoffMs: () => Promise.resolve(sevenDays), label: '7d' },
      { phase: 'webhook_dedupe' as const, cutoffMs: () => oldestDoneMs(knex, sevenDays), label: 'past the done prune\'s reach' },
      { phase: 'webhook_dedupe' as const, cutoffMs: () => Promise.resolve(sevenDays), label: '7d, done rows still there' },
    ];
    for (const { phase, cutoffMs, label } of phases) {
      const live = load();
      const row = await prunePhase(knex, phase, { budget: args.pruneRows, batchSize: args.batchSize, streams: args.streams, cutoffMs: await cutoffMs(), label });
      const during = await live.stop();
      push({ ...row, note: `${row.note}; ingest meanwhile ${ingestNote(during)}, p99 ${(during.p99Ms / idle.p99Ms).toFixed(1)}× idle` });
    }
  } finally {
    await ingestDb.destroy();
  }
}

const ingestNote = (f: IngestFigures) => `${f.events} commits, p50 ${f.p50Ms.toFixed(1)} ms, p99 ${f.p99Ms.toFixed(1)} ms, max ${f.maxMs.toFixed(0)} ms`;

/**
 * Runs one prune phase (the functions `outbox prune` runs one after the other) until `budget` rows
 * went, up to the given cutoff (7 days, as the README's example, unless said otherwise). The time to the first progress report is what the
 * progress total cost; the rate is over the deleting alone.
 */
/** processed_at of the oldest done row left (the done prune's reach), or `fallbackMs` when none is. */
async function oldestDoneMs(knex: Knex, fallbackMs: number): Promise<number> {
  const [[row]] = (await knex.raw("SELECT MIN(processed_at) AS at FROM webhook_outbox WHERE status = 'done'")) as [[{ at: Date | string | null }]];
  return row.at === null ? fallbackMs : Math.min(fallbackMs, fromDbTime(row.at).getTime());
}

async function prunePhase(
  knex: Knex,
  phase: 'webhook_outbox' | 'webhook_dedupe',
  run: { budget: number; batchSize: number; streams: number; cutoffMs: number; label: string },
): Promise<Row> {
  const { budget, batchSize } = run;
  const dialect = dialectOf(knex);
  const controller = new AbortController();
  let firstReportMs: number | null = null;
  let deleted = 0;
  const options = {
    cutoffMs: run.cutoffMs,
    batchSize,
    streams: run.streams,
    signal: controller.signal,
    onProgress: (p: { done: number }) => {
      firstReportMs ??= performance.now();
      deleted = p.done;
      if (p.done >= budget) controller.abort();
    },
  };
  const started = performance.now();
  const { statements } = await recordStatements(knex, () =>
    phase === 'webhook_outbox' ? pruneFinishedRows(knex, dialect, 'done', options) : pruneDedupeRows(knex, dialect, options),
  );
  const ended = performance.now();
  const countMs = (firstReportMs ?? started) - started;
  const rate = deleted / ((ended - (firstReportMs ?? started)) / 1000);
  return {
    what: `prune ${phase === 'webhook_outbox' ? 'done rows' : 'dedupe rows'} (${run.label}, batches of ${batchSize}, ${run.streams} at once)`,
    ms: ended - started,
    plan: await planOf(knex, statements),
    note: `${deleted} rows, ${Math.round(rate)} rows/s; ${countMs.toFixed(0)} ms to count before the first batch`,
  };
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench:scale failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
