import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { OUTBOX_TABLE } from './outbox-insert.js';
import { readBlockedKeys, whereBlockedByFailure, type BlockedKeys } from './order-claim.js';
import { fromDbTime, toDbTime } from './time.js';

/** The figures /_health and the alerts need, read without touching done rows. */
export interface Backlog extends BlockedKeys {
  pending: number;
  processing: number;
  dead: number;
  /** Seconds since the oldest pending event was received (as `outbox stats` says); null when none is pending. */
  oldestPendingAgeSeconds: number | null;
  /**
   * Seconds the most overdue pending event has waited past its next_attempt_at; null when none is due.
   * A retry scheduled hours ahead (backoff) is old but not late: only this figure says the workers
   * are not keeping up.
   */
  overdueSeconds: number | null;
}

/** The health check's "does the database answer" query. */
export function pingDatabase(knex: Knex): Promise<unknown> {
  return knex.raw('SELECT 1');
}

/** Reads that a caller abandons after a deadline also stop on the server after it. */
export interface ReadLimits {
  timeLimitMs?: number | undefined;
}

export interface BacklogOptions extends ReadLimits {
  /** Where the dead figure comes from; default a full count (see observe/dead-count.ts for a running one). */
  countDead?: (() => Promise<number>) | undefined;
}

/** Runs a SELECT under the optional server-side time limit; the rows come back as knex would give them. */
async function select<T>(knex: Knex, dialect: Dialect, query: Knex.QueryBuilder, limits: ReadLimits): Promise<T[]> {
  if (limits.timeLimitMs === undefined) return (await query.options(dialect.readOptions)) as T[];
  const { sql, bindings } = query.toSQL();
  return dialect.rawRows<T>(await knex.raw(dialect.limitStatementTime(sql, limits.timeLimitMs), bindings).options(dialect.readOptions));
}

/**
 * Each query is a range on an index whose first column is status, so the cost follows the backlog,
 * never the (possibly millions of) done rows that `outbox stats` counts. Ages are taken against the
 * database's own clock, in the same statement.
 */
export async function readBacklog(knex: Knex, dialect: Dialect, options: BacklogOptions = {}): Promise<Backlog> {
  const counts = await select<{ status: string; n: number | string }>(
    knex,
    dialect,
    knex(OUTBOX_TABLE).select('status').count({ n: '*' }).whereIn('status', ['pending', 'processing']).groupBy('status'),
    options,
  );
  const count = (status: string) => Number(counts.find((c) => c.status === status)?.n ?? 0);
  // One after another, not side by side: a probe must not take several connections of the host's pool.
  const dead = options.countDead ? await options.countDead() : await countDeadBefore(knex, dialect, null, options);
  const oldestPendingAgeSeconds = await pendingAgeSeconds(knex, dialect, 'received_at', options);
  const overdueSeconds = await pendingAgeSeconds(knex, dialect, 'next_attempt_at', options);
  return {
    pending: count('pending'),
    processing: count('processing'),
    dead,
    oldestPendingAgeSeconds,
    overdueSeconds,
    ...(await readBlockedKeys(knex, dialect)),
  };
}

/** Whole seconds since the oldest pending event was received; null when none is pending (`outbox stats` too). */
export function oldestPendingAgeSeconds(knex: Knex, dialect: Dialect, limits: ReadLimits = {}): Promise<number | null> {
  return pendingAgeSeconds(knex, dialect, 'received_at', limits);
}

/**
 * Whole seconds from the smallest `column` of the pending rows (only those already due, for
 * next_attempt_at) to now, both read in one statement on the database's clock.
 */
async function pendingAgeSeconds(knex: Knex, dialect: Dialect, column: 'received_at' | 'next_attempt_at', limits: ReadLimits): Promise<number | null> {
  let query = knex(OUTBOX_TABLE).min({ at: column }).select(knex.raw(`${dialect.nowSql} AS ??`, ['now'])).where('status', 'pending');
  if (column === 'next_attempt_at') {
    query = query.andWhere(column, '<=', knex.raw(dialect.nowSql));
    // Issue 12: an event held back by its key's failed earlier event is not late work; it is
    // reported as a blocked key instead.
    query = query.whereNot((held) => whereBlockedByFailure(held, knex, dialect));
  }
  const [row] = await select<{ at: string | Date | null; now: string }>(knex, dialect, query, limits);
  if (!row || row.at === null || row.at === undefined) return null;
  return Math.max(0, Math.floor((fromDbTime(row.now).getTime() - fromDbTime(row.at).getTime()) / 1000));
}

/**
 * Rows that went dead at or after `sinceMs` (database time): processed_at is set when a row dies, and
 * idx_webhook_outbox_finished (status, processed_at) holds exactly this range.
 */
export async function countDeadSince(knex: Knex, sinceMs: number, dialect?: Dialect, limits: ReadLimits = {}): Promise<number> {
  const query = knex(OUTBOX_TABLE).count({ n: '*' }).where('status', 'dead').andWhere('processed_at', '>=', toDbTime(sinceMs));
  const [row] = dialect ? await select<{ n: number | string }>(knex, dialect, query, limits) : await query;
  return Number(row?.n ?? 0);
}

/** Dead rows that died before `beforeMs` (or lack processed_at); every dead row when it is null. */
export async function countDeadBefore(knex: Knex, dialect: Dialect, beforeMs: number | null, limits: ReadLimits = {}): Promise<number> {
  let query = knex(OUTBOX_TABLE).count({ n: '*' }).where('status', 'dead');
  if (beforeMs !== null) query = query.andWhere((q) => q.where('processed_at', '<', toDbTime(beforeMs)).orWhereNull('processed_at'));
  const [row] = await select<{ n: number | string }>(knex, dialect, query, limits);
  return Number(row?.n ?? 0);
}
