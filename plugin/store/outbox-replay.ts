import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { OUTBOX_TABLE } from './outbox-insert.js';
import { toDbTime } from './time.js';

/**
 * Back to pending, due now, with a fresh attempt budget. `last_error` stays so the admin can still
 * see why it died until the next attempt overwrites it.
 */
function replayChanges(nowMs: number) {
  return { status: 'pending', attempts: 0, next_attempt_at: toDbTime(nowMs), locked_by: null, locked_until: null, processed_at: null };
}

/**
 * Replays one row if it is dead, or pending and not yet due (a retry waiting out its backoff). The
 * WHERE on status means a row a worker claimed in the meantime (processing) or finished (done) is
 * never overwritten, on either database, without locks.
 */
export async function replayOne(knex: Knex, id: number, nowMs: number): Promise<boolean> {
  const now = toDbTime(nowMs);
  const changed = await knex(OUTBOX_TABLE)
    .where('id', id)
    .andWhere((q) => q.where('status', 'dead').orWhere((p) => p.where('status', 'pending').andWhere('next_attempt_at', '>', now)))
    .update(replayChanges(nowMs));
  return changed > 0;
}

/** The status of each of these rows that exists. */
export async function statusesOf(knex: Knex, ids: readonly number[]): Promise<Map<number, string>> {
  const statuses = new Map<number, string>();
  if (ids.length === 0) return statuses;
  const rows: Array<{ id: number | string; status: string }> = await knex(OUTBOX_TABLE).select('id', 'status').whereIn('id', ids);
  for (const row of rows) statuses.set(Number(row.id), row.status);
  return statuses;
}

function deadRows(knex: Knex, partner: string | undefined) {
  const query = knex(OUTBOX_TABLE).where('status', 'dead');
  return partner === undefined ? query : query.andWhere('partner', partner);
}

/** The next dead ids after `afterId`, in id order: idx_webhook_outbox_status_id or _partner_status_id, no sort. */
export async function selectDeadIds(knex: Knex, dialect: Dialect, query: { partner?: string | undefined; afterId: number; limit: number }): Promise<number[]> {
  const rows: Array<{ id: number | string }> = await deadRows(knex, query.partner)
    .andWhere('id', '>', query.afterId)
    .select('id')
    .orderBy('id')
    .limit(query.limit)
    .options(dialect.readOptions);
  return rows.map((r) => Number(r.id));
}

/** Dead rows in scope, counted on the same index (no row is read). */
export async function countDead(knex: Knex, partner?: string): Promise<number> {
  const [row] = await deadRows(knex, partner).count({ n: '*' });
  return Number(row?.n ?? 0);
}

/**
 * Replays the given rows that are still dead, in one autocommit UPDATE by primary key: it locks those
 * rows only, so it needs neither a transaction nor a SET TRANSACTION round trip.
 */
export async function replayDeadIds(knex: Knex, ids: readonly number[], nowMs: number): Promise<number> {
  if (ids.length === 0) return 0;
  return knex(OUTBOX_TABLE).whereIn('id', ids).andWhere('status', 'dead').update(replayChanges(nowMs));
}
