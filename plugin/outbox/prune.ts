import type { Knex } from 'knex';
import type { Dialect } from '../store/dialect.js';
import {
  countExpiredDedupe, countFinished, deleteDedupe, deleteFinished, expiredDedupeShare, selectExpiredDedupe, selectExpiredDedupeByKey, selectFinished,
  type DedupeKey, type FinishedCursor, type FinishedRow, type FinishedStatus,
} from '../store/outbox-prune.js';
import { chunks, runBatches, type BatchProgress, type BatchRun } from './batches.js';

export type PrunedTable = 'webhook_outbox' | 'webhook_dedupe';

export interface PruneStepOptions {
  /** Rows older than this database time (ms) go. */
  cutoffMs: number;
  batchSize: number;
  /** How many batches' DELETEs may run at once (see runBatches); 1 unless given. */
  streams?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: BatchProgress & { table: PrunedTable }) => void) | undefined;
}

/**
 * How many finished rows a pass reads ahead, to delete them grouped by (partner, event id). A dead
 * row has an entry in idx_webhook_outbox_open_event (partner, open_event_id), at a random place
 * (event ids are random): in finishing order each row of a batch would cost a random page of it.
 * Batches cut from 50,000 rows sorted like that index share its pages, while the rows themselves
 * (about 50 MiB of the primary key, with 1 KiB bodies) stay in the buffer pool until their batch
 * comes; 100,000 lost the rows between batches. A done row has no such entry (open_event_id is NULL
 * once done), so for done rows the order makes no difference: at 2,000,000 rows with a 128 MiB
 * buffer pool, 50,000 sorted and 1,000 in finishing order both deleted about 23,000 rows/s.
 */
export const FINISHED_READ_AHEAD = 50_000;
const FINISHED_READ_STATEMENT_ROWS = 10_000;

/**
 * Deletes outbox rows with `status` (done, or dead when dead-row retention is set) that finished
 * before the cutoff. A cursor on processed_at walks idx_webhook_outbox_finished once per run, so
 * the index entries of rows deleted by earlier batches (kept until InnoDB purges them) are not read
 * again and again. Every batch is still `batchSize` rows, one short DELETE by primary key.
 */
export async function pruneFinishedRows(
  knex: Knex,
  dialect: Dialect,
  status: FinishedStatus,
  options: PruneStepOptions & { readAhead?: number },
): Promise<BatchRun> {
  const progress = reporter('webhook_outbox', options, options.onProgress ? await countFinished(knex, status, options.cutoffMs) : null);
  const aheadRows = Math.max(options.readAhead ?? FINISHED_READ_AHEAD, options.batchSize);
  let cursor: FinishedCursor = null;
  let exhausted = false;
  let ahead: number[] = [];
  // In statements of at most 10,000 rows (each reads its rows: well under a second), then sorted.
  const readAhead = async (): Promise<number[]> => {
    const rows: FinishedRow[] = [];
    while (rows.length < aheadRows && !exhausted) {
      const limit = Math.min(FINISHED_READ_STATEMENT_ROWS, aheadRows - rows.length);
      const batch = await selectFinished(knex, dialect, { status, cutoffMs: options.cutoffMs, after: cursor, limit });
      cursor = batch.cursor;
      exhausted = batch.rows.length < limit;
      rows.push(...batch.rows);
    }
    rows.sort(byEventKey);
    return rows.map((r) => r.id);
  };
  return runBatches<number>(
    {
      async next(limit) {
        // Refilled before it runs short, so every batch but the last is full (a short one ends the run).
        if (ahead.length < limit && !exhausted) ahead = ahead.concat(await readAhead());
        const taken = ahead.slice(0, limit);
        ahead = ahead.slice(limit);
        return taken;
      },
      async apply(ids) {
        let deleted = 0;
        for (const part of chunks(ids, 1000)) deleted += await deleteFinished(knex, part, status, options.cutoffMs);
        return deleted;
      },
    },
    { batchSize: options.batchSize, streams: options.streams, signal: options.signal, onBatch: progress },
  );
}

/** (partner, event_id) order, as idx_webhook_outbox_open_event holds dead rows (for ASCII ids exactly; only speed depends on it). */
function byEventKey(a: FinishedRow, b: FinishedRow): number {
  if (a.partner !== b.partner) return a.partner < b.partner ? -1 : 1;
  if (a.eventId !== b.eventId) return a.eventId < b.eventId ? -1 : 1;
  return a.id - b.id;
}

/**
 * From this share of expired dedupe rows on, a pass walks the primary key rather than received_at:
 * see selectExpiredDedupeByKey. The key walk reads about 1/share rows per row it deletes, but in
 * order, page by page; the received_at walk reads the few it deletes, each on a random page of the
 * key and of the outbox's event index. Measured at 1,700,000 dedupe rows with a 128 MiB buffer pool
 * (docs/dba.md, "At scale"): the received_at walk deleted 3,000–3,400 rows/s whatever the share, the
 * key walk 7,000 at a 2.4 % share and 11,700 at 8.4 %; an hourly run (an hour of 30 days: 0.14 %)
 * would read the whole table with the key walk for a few thousand rows.
 */
export const DEDUPE_KEY_WALK_SHARE = 0.02;

/** The order a dedupe pass reads candidates in: primary key, or received_at (chosen by share unless given). */
export type DedupeWalk = 'key' | 'age';

/**
 * Deletes dedupe rows received before the cutoff, except those whose event still has an outbox row
 * that is not done: if a dead event's dedupe row went, a redelivery would be accepted as new and the
 * replayed original and the copy could both be applied.
 */
export async function pruneDedupeRows(knex: Knex, dialect: Dialect, options: PruneStepOptions & { walk?: DedupeWalk }): Promise<BatchRun> {
  const progress = reporter('webhook_dedupe', options, options.onProgress ? await countExpiredDedupe(knex, options.cutoffMs) : null);
  const walk = options.walk ?? ((await expiredDedupeShare(knex, dialect, options.cutoffMs)) >= DEDUPE_KEY_WALK_SHARE ? 'key' : 'age');
  const byKey = walk === 'key';
  let byAge: string | null = null;
  let key: DedupeKey | null = null;
  return runBatches<DedupeKey>(
    {
      async next(limit) {
        if (byKey) {
          const batch = await selectExpiredDedupeByKey(knex, dialect, { cutoffMs: options.cutoffMs, after: key, limit });
          key = batch.cursor;
          return batch.keys;
        }
        const batch = await selectExpiredDedupe(knex, dialect, { cutoffMs: options.cutoffMs, after: byAge, limit });
        byAge = batch.cursor;
        return batch.keys;
      },
      async apply(keys) {
        let deleted = 0;
        for (const part of chunks(keys, 1000)) deleted += await deleteDedupe(knex, part, options.cutoffMs);
        return deleted;
      },
    },
    { batchSize: options.batchSize, streams: options.streams, signal: options.signal, onBatch: progress },
  );
}

function reporter(table: PrunedTable, options: PruneStepOptions, total: number | null) {
  options.onProgress?.({ table, done: 0, total });
  return (done: number) => options.onProgress?.({ table, done, total });
}
