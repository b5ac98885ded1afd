import { existsSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { knexConfigFromUrl, openDatabase } from '../../plugin/store/connect.js';
import { dialectOf, type Dialect } from '../../plugin/store/dialect.js';
import { fromDbTime, toDbTime } from '../../plugin/store/time.js';
import type { Logger } from '../../plugin/types.js';
import { BENCH_PARTNER, DEDUPE_TABLE, OUTBOX_TABLE } from './tables.js';

/** Server facts that decide what a commit costs, recorded with the figures. */
export interface DatabaseFacts {
  kind: 'mysql' | 'sqlite';
  /** DATABASE_URL with any password masked. */
  url: string;
  version: string;
  innodbFlushLogAtTrxCommit: string | null;
  syncBinlog: string | null;
  logBin: string | null;
  innodbBufferPoolBytes: number | null;
  sqliteJournalMode: string | null;
  sqliteSynchronous: string | null;
}

export interface BenchDatabase {
  url: string;
  knex: Knex;
  dialect: Dialect;
  facts: DatabaseFacts;
  /** Drops what the bench created: the database itself if it made it, else its tables. */
  cleanup(): Promise<void>;
}

/** The tables the bench creates: the plugin's and the demo CRM's (startDemoHost migrates both). */
const OWNED_TABLE = /^(webhook_|crm_)/;

const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export function maskUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/**
 * Opens the bench database with fresh tables: creates the MySQL database (or SQLite file) when
 * missing, drops leftovers of an earlier run, applies the plugin's migrations and adds the bench
 * partner (its secret sealed with `secretKey`, as a production install would keep it). Refuses a database holding tables it does not own, so it can never drop a real CRM's data.
 */
export async function openBenchDatabase(url: string, partner: { secret: string; secretKey: string }): Promise<BenchDatabase> {
  const created = url.startsWith('sqlite:') ? prepareSqliteFile(url) : await createMysqlDatabase(url);
  const knex = openDatabase(url, { poolMax: 4 });
  try {
    const dialect = dialectOf(knex);
    const leftovers = await tableNames(knex, dialect);
    const foreign = leftovers.filter((name) => !OWNED_TABLE.test(name));
    if (foreign.length > 0) {
      throw new Error(
        `${maskUrl(url)} holds tables the bench does not own (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}); ` +
          'the bench drops and recreates its tables, so give it a database of its own',
      );
    }
    for (const name of leftovers) await knex.schema.dropTableIfExists(name);
    const plugin = createWebhooksPlugin({ knex, logger: silentLogger, secretKey: partner.secretKey });
    await plugin.migrate();
    await plugin.partners.add({ slug: BENCH_PARTNER, scheme: 'hmac-sha256', secret: partner.secret });
    const facts = await databaseFacts(knex, dialect, url);
    return {
      url,
      knex,
      dialect,
      facts,
      async cleanup() {
        if (created.kind === 'mysql-database') {
          await knex.destroy();
          await withAdmin(url, (admin) => admin.raw(`DROP DATABASE IF EXISTS \`${created.name}\``));
          return;
        }
        for (const name of await tableNames(knex, dialect)) if (OWNED_TABLE.test(name)) await knex.schema.dropTableIfExists(name);
        await knex.destroy();
        if (created.kind === 'sqlite-file') for (const suffix of ['', '-wal', '-shm']) rmSync(`${created.path}${suffix}`, { force: true });
      },
    };
  } catch (error) {
    await knex.destroy();
    throw error;
  }
}

type Created = { kind: 'mysql-database'; name: string } | { kind: 'sqlite-file'; path: string } | { kind: 'nothing' };

function prepareSqliteFile(url: string): Created {
  const path = (knexConfigFromUrl(url).connection as { filename: string }).filename;
  return existsSync(path) ? { kind: 'nothing' } : { kind: 'sqlite-file', path };
}

async function createMysqlDatabase(url: string): Promise<Created> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]+$/.test(name)) throw new Error(`bench database name "${name}" must be letters, digits, _ or $`);
  return withAdmin(url, async (admin) => {
    const [rows] = (await admin.raw('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])) as [unknown[]];
    if (rows.length > 0) return { kind: 'nothing' };
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
    return { kind: 'mysql-database', name };
  });
}

/** A connection to the server without selecting the bench database, which may not exist yet. */
async function withAdmin<T>(url: string, work: (admin: Knex) => Promise<T>): Promise<T> {
  const config = knexConfigFromUrl(url, { poolMax: 1 });
  const connection = { ...(config.connection as Record<string, unknown>) };
  delete connection.database;
  const admin = knexFactory({ ...config, connection });
  try {
    return await work(admin);
  } finally {
    await admin.destroy();
  }
}

async function tableNames(knex: Knex, dialect: Dialect): Promise<string[]> {
  if (dialect.name === 'sqlite') {
    const rows: Array<{ name: string }> = await knex('sqlite_master').select('name').where('type', 'table').andWhereNot('name', 'like', 'sqlite_%');
    return rows.map((r) => r.name);
  }
  const rows = dialect.rawRows<{ name: string }>(await knex.raw('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()'));
  return rows.map((r) => r.name);
}

async function databaseFacts(knex: Knex, dialect: Dialect, url: string): Promise<DatabaseFacts> {
  const base = { url: maskUrl(url), innodbFlushLogAtTrxCommit: null, syncBinlog: null, logBin: null, innodbBufferPoolBytes: null, sqliteJournalMode: null, sqliteSynchronous: null };
  if (dialect.name === 'sqlite') {
    const [version] = dialect.rawRows<{ version: string }>(await knex.raw('SELECT sqlite_version() AS version'));
    const [journal] = dialect.rawRows<{ journal_mode: string }>(await knex.raw('PRAGMA journal_mode'));
    const [synchronous] = dialect.rawRows<{ synchronous: number }>(await knex.raw('PRAGMA synchronous'));
    return { ...base, kind: 'sqlite', version: `SQLite ${version?.version ?? '?'}`, sqliteJournalMode: journal?.journal_mode ?? null, sqliteSynchronous: String(synchronous?.synchronous ?? '?') };
  }
  const [version] = dialect.rawRows<{ version: string }>(await knex.raw('SELECT VERSION() AS version'));
  const variables = dialect.rawRows<{ Variable_name: string; Value: string }>(
    await knex.raw("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('innodb_flush_log_at_trx_commit', 'sync_binlog', 'log_bin', 'innodb_buffer_pool_size')"),
  );
  const value = (name: string) => variables.find((v) => v.Variable_name === name)?.Value ?? null;
  const pool = value('innodb_buffer_pool_size');
  return {
    ...base,
    kind: 'mysql',
    version: version?.version ?? '?',
    innodbFlushLogAtTrxCommit: value('innodb_flush_log_at_trx_commit'),
    syncBinlog: value('sync_binlog'),
    logBin: value('log_bin'),
    innodbBufferPoolBytes: pool === null ? null : Number(pool),
  };
}

/**
 * Server-wide MySQL/MariaDB status counters read around each measurement: statements, commits and
 * fsyncs per accepted event say how much database work one event costs. Server-wide: another
 * client using the server meanwhile inflates them.
 */
const DATABASE_COUNTERS = [
  'Questions',
  'Com_begin',
  'Com_commit',
  'Com_insert',
  'Com_update',
  'Com_select',
  'Innodb_data_fsyncs',
  // Pages InnoDB had to read from disk: a table outgrowing the buffer pool shows up here.
  'Innodb_buffer_pool_reads',
];

export async function readDatabaseCounters(knex: Knex, dialect: Dialect): Promise<Record<string, number> | null> {
  if (dialect.name !== 'mysql') return null;
  const rows = dialect.rawRows<{ Variable_name: string; Value: string }>(
    await knex.raw(`SHOW GLOBAL STATUS WHERE Variable_name IN (${DATABASE_COUNTERS.map(() => '?').join(', ')})`, DATABASE_COUNTERS),
  );
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
}

/** Empties the event tables so each measurement starts from the same state. */
export async function truncateEvents(knex: Knex): Promise<void> {
  await knex(OUTBOX_TABLE).truncate();
  await knex(DEDUPE_TABLE).truncate();
}

export async function countUnfinished(knex: Knex): Promise<number> {
  const [row] = await knex(OUTBOX_TABLE).whereIn('status', ['pending', 'processing']).count({ n: '*' });
  return Number(row?.n ?? 0);
}

export async function countDone(knex: Knex): Promise<number> {
  const [row] = await knex(OUTBOX_TABLE).where('status', 'done').count({ n: '*' });
  return Number(row?.n ?? 0);
}

/** Waits until no outbox row is pending or processing; returns the seconds it took, or null on timeout. */
export async function waitForDrain(knex: Knex, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  for (;;) {
    if ((await countUnfinished(knex)) === 0) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs) return null;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface CommitCheck {
  /** 2xx responses checked. */
  acked: number;
  dedupeRows: number;
  outboxRows: number;
  ok: boolean;
}

const ID_CHUNK = 1000;

/** Counts, for the ids that got a 2xx, the dedupe and outbox rows that were committed. */
export async function checkCommitted(knex: Knex, ids: readonly string[]): Promise<CommitCheck> {
  let dedupeRows = 0;
  let outboxRows = 0;
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const [dedupe] = await knex(DEDUPE_TABLE).where('partner', BENCH_PARTNER).whereIn('event_id', chunk).count({ n: '*' });
    const [outbox] = await knex(OUTBOX_TABLE).where('partner', BENCH_PARTNER).whereIn('event_id', chunk).count({ n: '*' });
    dedupeRows += Number(dedupe?.n ?? 0);
    outboxRows += Number(outbox?.n ?? 0);
  }
  return { acked: ids.length, dedupeRows, outboxRows, ok: dedupeRows === ids.length && outboxRows === ids.length };
}

/** received_at to processed_at of done rows (both the database's clock, ms precision), in ms. */
export async function outboxLatencies(knex: Knex, dialect: Dialect, ids: readonly string[]): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const rows: Array<{ received_at: unknown; processed_at: unknown }> = await knex(OUTBOX_TABLE)
      .select('received_at', 'processed_at')
      .where({ partner: BENCH_PARTNER, status: 'done' })
      .whereIn('event_id', ids.slice(i, i + ID_CHUNK))
      .options(dialect.readOptions);
    for (const row of rows) latencies.push(fromDbTime(row.processed_at).getTime() - fromDbTime(row.received_at).getTime());
  }
  return latencies;
}

const BACKLOG_BATCH = 1000;
/** knex writes a multi-row INSERT on SQLite as a compound SELECT, which SQLite caps at 500 terms. */
const SQLITE_MAX_ROWS = 500;
const batchFor = (knex: Knex, rows: number) => (dialectOf(knex).name === 'sqlite' ? Math.min(rows, SQLITE_MAX_ROWS) : rows);

/**
 * Writes `count` pending events (dedupe and outbox rows, as the receive path would have committed
 * them) with multi-row INSERTs, one transaction per batch. Returns the seconds it took.
 */
export async function fillBacklog(knex: Knex, count: number, bodyFor: (id: string) => string, progress: (done: number) => void): Promise<number> {
  const started = Date.now();
  const now = toDbTime(Date.now());
  for (let done = 0; done < count; ) {
    const ids = randomIds(Math.min(batchFor(knex, BACKLOG_BATCH), count - done));
    await knex.transaction(async (trx) => {
      await trx(DEDUPE_TABLE).insert(ids.map((id) => ({ partner: BENCH_PARTNER, event_id: id, received_at: now })));
      await trx(OUTBOX_TABLE).insert(
        ids.map((id) => ({
          partner: BENCH_PARTNER,
          event_id: id,
          event_type: 'contact.updated',
          payload: bodyFor(id),
          headers: JSON.stringify({ 'content-type': 'application/json', 'x-webhook-id': id, 'x-webhook-signature': '[redacted]' }),
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          received_at: now,
        })),
      );
    });
    done += ids.length;
    progress(done);
  }
  return (Date.now() - started) / 1000;
}

const DEDUPE_BATCH = 5000;
const RETENTION_MS = 30 * 24 * 3600 * 1000;

/**
 * Adds `count` rows to webhook_dedupe, as a month of traffic would leave them: random event ids,
 * received_at spread over the retention window. Multi-row INSERTs of 5,000 (500 on SQLite); returns the seconds.
 */
export async function fillDedupe(knex: Knex, count: number, progress: (done: number) => void): Promise<number> {
  const started = Date.now();
  const nowMs = Date.now();
  for (let done = 0; done < count; ) {
    const ids = randomIds(Math.min(batchFor(knex, DEDUPE_BATCH), count - done)).sort();
    await knex(DEDUPE_TABLE).insert(
      ids.map((id, i) => ({ partner: BENCH_PARTNER, event_id: id, received_at: toDbTime(nowMs - Math.floor(((done + i) / count) * RETENTION_MS)) })),
    );
    done += ids.length;
    progress(done);
  }
  return (Date.now() - started) / 1000;
}

/** Same shape as the load generator's ids ("evt_" + 24 hex digits), so they mix in the same key space. */
function randomIds(count: number): string[] {
  const bytes = randomBytes(12 * count);
  return Array.from({ length: count }, (_, i) => `evt_${bytes.toString('hex', i * 12, i * 12 + 12)}`);
}
