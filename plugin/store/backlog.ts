import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { OUTBOX_TABLE } from './inbox.js';
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

const ACTIVE = ['pending', 'processing', 'dead'];

/**
 * Each query is a range on an index whose first column is status, so the cost follows the backlog and
 * the dead rows, never the (possibly millions of) done rows that `outbox stats` counts. Ages are taken
 * against the database's own clock, in the same statement.
 */
export async function readBacklog(knex: Knex, dialect: Dialect): Promise<Backlog> {
  const counts: Array<{ status: string; n: number | string }> = await knex(OUTBOX_TABLE)
    .select('status')
    .count({ n: '*' })
    .whereIn('status', ACTIVE)
    .groupBy('status');
  const count = (status: string) => Number(counts.find((c) => c.status === status)?.n ?? 0);

  return {
    pending: count('pending'),
    processing: count('processing'),
    dead: count('dead'),
    oldestPendingAgeSeconds: await oldestPendingAgeSeconds(knex, dialect),
    overdueSeconds: await pendingAgeSeconds(knex, dialect, 'next_attempt_at'),
    ...(await readBlockedKeys(knex, dialect)),
  };
}

/** Whole seconds since the oldest pending event was received; null when none is pending (`outbox stats` too). */
export function oldestPendingAgeSeconds(knex: Knex, dialect: Dialect): Promise<number | null> {
  return pendingAgeSeconds(knex, dialect, 'received_at');
}

/**
 * Whole seconds from the smallest `column` of the pending rows (only those already due, for
 * next_attempt_at) to now, both read in one statement on the database's clock.
 */
async function pendingAgeSeconds(knex: Knex, dialect: Dialect, column: 'received_at' | 'next_attempt_at'): Promise<number | null> {
  let query = knex(OUTBOX_TABLE).min({ at: column }).select(knex.raw(`${dialect.nowSql} AS ??`, ['now'])).where('status', 'pending');
  if (column === 'next_attempt_at') {
    query = query.andWhere(column, '<=', knex.raw(dialect.nowSql));
    // Issue 12: an event held back by its key's failed earlier event is not late work; it is
    // reported as a blocked key instead.
    query = query.whereNot((held) => whereBlockedByFailure(held, knex, dialect.nowSql));
  }
  const row = (await query.options(dialect.readOptions).first()) as { at: string | Date | null; now: string } | undefined;
  if (!row || row.at === null || row.at === undefined) return null;
  return Math.max(0, Math.floor((fromDbTime(row.now).getTime() - fromDbTime(row.at).getTime()) / 1000));
}

/** Rows that went dead at or after `sinceMs` (database time): processed_at is set when a row dies. */
export async function countDeadSince(knex: Knex, sinceMs: number): Promise<number> {
  const row = await knex(OUTBOX_TABLE).count({ n: '*' }).where('status', 'dead').andWhere('processed_at', '>=', toDbTime(sinceMs)).first();
  return Number(row?.n ?? 0);
}
