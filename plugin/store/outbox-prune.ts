import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { DEDUPE_TABLE, OUTBOX_TABLE } from './outbox-insert.js';
import { fromDbTime, toDbTime } from './time.js';

const UNFINISHED = ['pending', 'processing', 'dead'] as const;

/**
 * The prune's statements. Each batch is one keyset read through an index (no sort, no rebuilt
 * subquery) and one DELETE by primary key in autocommit: a unique-key equality locks only the rows it
 * deletes, so no transaction (and no SET TRANSACTION round trip) is needed to keep InnoDB from
 * gap-locking a range that ingest inserts into.
 */
export type FinishedStatus = 'done' | 'dead';

/**
 * The (processed_at, id) position a pass has read to; null before its first read. With the id the
 * cursor is exact even where many rows finished in the same millisecond, so a pass can read ahead of
 * its deletes without meeting the rows it has read again.
 */
export type FinishedCursor = { at: string | null; id: number } | null;

/**
 * Rows with `status` that finished (processed_at) before the cutoff, read from
 * idx_webhook_outbox_finished. A row that somehow lacks processed_at counts by its received_at; the
 * index sorts those first, so they are all taken before the cursor moves past them.
 */
function finishedBefore(db: Knex | Knex.Transaction, status: FinishedStatus, cutoff: string) {
  return db(OUTBOX_TABLE)
    .where('status', status)
    .andWhere((q) => q.where('processed_at', '<', cutoff).orWhere((n) => n.whereNull('processed_at').andWhere('received_at', '<', cutoff)));
}

/** The rows of finishedBefore past the cursor, as a range of (status, processed_at, id). */
function finishedAfter(knex: Knex, status: FinishedStatus, cutoff: string, after: NonNullable<FinishedCursor>) {
  const { at, id } = after;
  if (at === null) return finishedBefore(knex, status, cutoff).andWhere((q) => q.whereNotNull('processed_at').orWhere('id', '>', id));
  return knex(OUTBOX_TABLE)
    .where('status', status)
    .andWhere('processed_at', '<', cutoff)
    .andWhere((q) => q.where('processed_at', '>', at).orWhere((same) => same.where('processed_at', at).andWhere('id', '>', id)));
}

export interface FinishedRow {
  id: number;
  partner: string;
  eventId: string;
}

/** The next `limit` rows of a pass, oldest first, with their partners and event ids (a read of each row, in id order). */
export async function selectFinished(
  knex: Knex,
  dialect: Dialect,
  query: { status: FinishedStatus; cutoffMs: number; after: FinishedCursor; limit: number },
): Promise<{ rows: FinishedRow[]; cursor: FinishedCursor }> {
  const cutoff = toDbTime(query.cutoffMs);
  const base = query.after === null ? finishedBefore(knex, query.status, cutoff) : finishedAfter(knex, query.status, cutoff, query.after);
  const rows: Array<{ id: number | string; partner: string; event_id: string; processed_at: string | null }> = await base
    .select('id', 'partner', 'event_id', 'processed_at')
    .orderBy([{ column: 'processed_at' }, { column: 'id' }])
    .limit(query.limit)
    .options(dialect.readOptions);
  const last = rows.at(-1);
  return {
    rows: rows.map((r) => ({ id: Number(r.id), partner: r.partner, eventId: r.event_id })),
    cursor: last ? { at: last.processed_at, id: Number(last.id) } : query.after,
  };
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
 * Dedupe rows whose event has no outbox row other than a done one (the anti-join of both walks).
 * `open_event_id` is the event id of an unfinished row and NULL for a done one, and
 * idx_webhook_outbox_open_event (partner, open_event_id) indexes exactly that (migration
 * 20261202001200): each probe is one index dive that never reads an outbox row.
 */
function expiredDedupe(source: Knex.QueryBuilder, cutoffMs: number): Knex.QueryBuilder {
  return source
    .leftJoin({ o: OUTBOX_TABLE }, (on) => on.on('o.partner', 'd.partner').andOn('o.open_event_id', 'd.event_id'))
    .where('d.received_at', '<', toDbTime(cutoffMs))
    .whereNull('o.id');
}

/**
 * Dedupe rows received before the cutoff whose event has no outbox row other than a done one, oldest
 * first, read along idx_webhook_dedupe_received. Written as an anti-join (LEFT JOIN ... IS NULL) so
 * that each candidate costs one probe of idx_webhook_outbox_open_event: MariaDB materialized the
 * equivalent NOT EXISTS, rebuilding the set of every unfinished outbox row for each batch (issue 16:
 * 510 rows/s). Best when few rows are expired (the hourly run): it reads only those. Each one is a
 * random primary-key page, though (event ids are random), so a large prune walks the key instead.
 */
export async function selectExpiredDedupe(
  knex: Knex,
  dialect: Dialect,
  query: { cutoffMs: number; after: string | null; limit: number },
): Promise<{ keys: DedupeKey[]; cursor: string | null }> {
  const select = expiredDedupe(knex({ d: DEDUPE_TABLE }), query.cutoffMs);
  if (query.after !== null) select.andWhere('d.received_at', '>=', query.after);
  const rows: Array<{ partner: string; event_id: string; received_at: string }> = await select
    .select('d.partner', 'd.event_id', 'd.received_at')
    .orderBy('d.received_at')
    .limit(query.limit)
    .options(dialect.readOptions);
  return { keys: rows.map((r) => [r.partner, r.event_id]), cursor: rows.at(-1)?.received_at ?? query.after };
}

/**
 * The same rows in primary-key order, for a prune that finds many rows expired (a first prune of a
 * big table): the batch's rows then share primary-key pages, and the anti-join's probes walk
 * idx_webhook_outbox_open_event in the same (partner, event id) order, so both are read page by page
 * instead of one random page per row (issue 16: 805 rows/s at 2,000,000 rows). A batch reads the
 * unexpired rows between them too, which is why this is for a large expired share only. The
 * primary key is named on MySQL/MariaDB: with a wide received_at range the optimizer may otherwise
 * read idx_webhook_dedupe_received and sort.
 */
export async function selectExpiredDedupeByKey(
  knex: Knex,
  dialect: Dialect,
  query: { cutoffMs: number; after: DedupeKey | null; limit: number },
): Promise<{ keys: DedupeKey[]; cursor: DedupeKey | null }> {
  const source = dialect.name === 'mysql' ? knex.from(knex.raw('?? AS ?? FORCE INDEX (PRIMARY)', [DEDUPE_TABLE, 'd'])) : knex({ d: DEDUPE_TABLE });
  const select = expiredDedupe(source, query.cutoffMs);
  const after = query.after;
  if (after !== null) {
    // Spelled out rather than as a row comparison, which not every server turns into a key range.
    select.andWhere((q) => q.where('d.partner', '>', after[0]).orWhere((same) => same.where('d.partner', after[0]).andWhere('d.event_id', '>', after[1])));
  }
  const rows: Array<{ partner: string; event_id: string }> = await select
    .select('d.partner', 'd.event_id')
    .orderBy([{ column: 'd.partner' }, { column: 'd.event_id' }])
    .limit(query.limit)
    .options(dialect.readOptions);
  const keys = rows.map((r): DedupeKey => [r.partner, r.event_id]);
  return { keys, cursor: keys.at(-1) ?? after };
}

/**
 * The share of the dedupe table a prune with this cutoff deletes, judged by time from the oldest and
 * newest received_at (two index dives on idx_webhook_dedupe_received, whatever the table's size):
 * it decides which of the two walks above a pass takes.
 */
export async function expiredDedupeShare(knex: Knex, dialect: Dialect, cutoffMs: number): Promise<number> {
  const [row] = await knex(DEDUPE_TABLE).min({ oldest: 'received_at' }).max({ newest: 'received_at' }).options(dialect.readOptions);
  if (!row?.oldest || !row.newest) return 0;
  const oldest = fromDbTime(row.oldest).getTime();
  const span = Math.max(fromDbTime(row.newest).getTime(), cutoffMs) - oldest;
  return span <= 0 ? 1 : Math.min(1, Math.max(0, (cutoffMs - oldest) / span));
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
 * How many dedupe rows the pass will delete, read from indexes alone: the rows older than the cutoff
 * (idx_webhook_dedupe_received) less those kept for an unfinished event. Those are counted on the
 * outbox side, through idx_webhook_outbox_age (status, received_at): an event's dedupe row and its
 * outbox row carry the same received_at, and a dedupe row is never pruned while its event is
 * unfinished, so each such outbox row stands for exactly one kept dedupe row (no probe per row, which
 * took 26 s at 2,000,000 rows).
 */
export async function countExpiredDedupe(knex: Knex, cutoffMs: number): Promise<number> {
  const cutoff = toDbTime(cutoffMs);
  const [old] = await knex(DEDUPE_TABLE).count({ n: '*' }).where('received_at', '<', cutoff);
  const [kept] = await knex(OUTBOX_TABLE).count({ n: '*' }).whereIn('status', UNFINISHED).andWhere('received_at', '<', cutoff);
  return Math.max(0, Number(old?.n ?? 0) - Number(kept?.n ?? 0));
}
