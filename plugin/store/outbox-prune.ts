import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { DEDUPE_TABLE, OUTBOX_TABLE } from './outbox-insert.js';
import { toDbTime } from './time.js';

/**
 * The prune's statements. Each batch is one keyset read through an index (no sort, no rebuilt
 * subquery) and one DELETE by primary key in autocommit: a unique-key equality locks only the rows it
 * deletes, so no transaction (and no SET TRANSACTION round trip) is needed to keep InnoDB from
 * gap-locking a range that ingest inserts into.
 */
export type FinishedStatus = 'done' | 'dead';

/** The (status, processed_at) position a pass has reached; null before its first batch. */
export type FinishedCursor = string | null;

/**
 * Rows with `status` that finished (processed_at) before the cutoff, oldest first, read from
 * idx_webhook_outbox_finished. A row that somehow lacks processed_at counts by its received_at; the
 * index sorts those first, so they are all taken before the cursor moves past them.
 */
function finishedBefore(db: Knex | Knex.Transaction, status: FinishedStatus, cutoff: string) {
  return db(OUTBOX_TABLE)
    .where('status', status)
    .andWhere((q) => q.where('processed_at', '<', cutoff).orWhere((n) => n.whereNull('processed_at').andWhere('received_at', '<', cutoff)));
}

export async function selectFinished(
  knex: Knex,
  dialect: Dialect,
  query: { status: FinishedStatus; cutoffMs: number; after: FinishedCursor; limit: number },
): Promise<{ ids: number[]; cursor: FinishedCursor }> {
  const cutoff = toDbTime(query.cutoffMs);
  const base =
    query.after === null
      ? finishedBefore(knex, query.status, cutoff)
      : knex(OUTBOX_TABLE).where('status', query.status).andWhere('processed_at', '>=', query.after).andWhere('processed_at', '<', cutoff);
  const rows: Array<{ id: number | string; processed_at: string | null }> = await base
    .select('id', 'processed_at')
    .orderBy('processed_at')
    .limit(query.limit)
    .options(dialect.readOptions);
  const last = rows.at(-1)?.processed_at;
  return { ids: rows.map((r) => Number(r.id)), cursor: typeof last === 'string' ? last : query.after };
}

/** Deletes the given rows that still have `status` and still finished before the cutoff. */
export async function deleteFinished(knex: Knex, ids: readonly number[], status: FinishedStatus, cutoffMs: number): Promise<number> {
  if (ids.length === 0) return 0;
  return finishedBefore(knex, status, toDbTime(cutoffMs)).whereIn('id', ids).del();
}

/**
 * How many rows a pass will find, counted on the index alone: the processed_at range is covered by
 * idx_webhook_outbox_finished (no row is read), and rows without processed_at are few.
 */
export async function countFinished(knex: Knex, status: FinishedStatus, cutoffMs: number): Promise<number> {
  const cutoff = toDbTime(cutoffMs);
  const [timed] = await knex(OUTBOX_TABLE).count({ n: '*' }).where('status', status).andWhere('processed_at', '<', cutoff);
  const [untimed] = await knex(OUTBOX_TABLE).count({ n: '*' }).where('status', status).whereNull('processed_at').andWhere('received_at', '<', cutoff);
  return Number(timed?.n ?? 0) + Number(untimed?.n ?? 0);
}

export type DedupeKey = [partner: string, eventId: string];

/**
 * Dedupe rows received before the cutoff whose event has no outbox row other than a done one, oldest
 * first. Written as an anti-join (LEFT JOIN ... IS NULL) so that each candidate costs one probe of
 * idx_webhook_outbox_event: MariaDB materialized the equivalent NOT EXISTS, rebuilding the set of
 * every unfinished outbox row for each batch (issue 16: 510 rows/s).
 */
export async function selectExpiredDedupe(
  knex: Knex,
  dialect: Dialect,
  query: { cutoffMs: number; after: string | null; limit: number },
): Promise<{ keys: DedupeKey[]; cursor: string | null }> {
  let select = knex({ d: DEDUPE_TABLE })
    .leftJoin({ o: OUTBOX_TABLE }, (on) => on.on('o.partner', 'd.partner').andOn('o.event_id', 'd.event_id').andOnVal('o.status', '<>', 'done'))
    .where('d.received_at', '<', toDbTime(query.cutoffMs))
    .whereNull('o.id');
  if (query.after !== null) select = select.andWhere('d.received_at', '>=', query.after);
  const rows: Array<{ partner: string; event_id: string; received_at: string }> = await select
    .select('d.partner', 'd.event_id', 'd.received_at')
    .orderBy('d.received_at')
    .limit(query.limit)
    .options(dialect.readOptions);
  return { keys: rows.map((r) => [r.partner, r.event_id]), cursor: rows.at(-1)?.received_at ?? query.after };
}

/**
 * Deletes the given dedupe rows by primary key, re-checking only their age. Whether their event is
 * finished needs no re-check: a done outbox row never changes status again (replays take dead and
 * pending rows only), a missing one was pruned as done, and no new outbox row can be written for a
 * key whose dedupe row exists (ingest inserts the dedupe row first and stops at the duplicate).
 */
export async function deleteDedupe(knex: Knex, keys: readonly DedupeKey[], cutoffMs: number): Promise<number> {
  if (keys.length === 0) return 0;
  return knex(DEDUPE_TABLE)
    .whereIn(['partner', 'event_id'], keys as DedupeKey[])
    .andWhere('received_at', '<', toDbTime(cutoffMs))
    .del();
}

/**
 * How many dedupe rows the pass will delete, without a probe per dedupe row: the rows older than the
 * cutoff, counted on idx_webhook_dedupe_received alone, less those kept for an unfinished event,
 * found from the (few) unfinished outbox rows with one primary-key probe each.
 */
export async function countExpiredDedupe(knex: Knex, cutoffMs: number): Promise<number> {
  const cutoff = toDbTime(cutoffMs);
  const [old] = await knex(DEDUPE_TABLE).count({ n: '*' }).where('received_at', '<', cutoff);
  // One outbox row per accepted dedupe row, so the join counts each kept dedupe row once.
  const [kept] = await knex({ o: OUTBOX_TABLE })
    .join({ d: DEDUPE_TABLE }, (on) => on.on('d.partner', 'o.partner').andOn('d.event_id', 'o.event_id'))
    .count({ n: '*' })
    .whereNot('o.status', 'done')
    .andWhere('d.received_at', '<', cutoff);
  return Math.max(0, Number(old?.n ?? 0) - Number(kept?.n ?? 0));
}
