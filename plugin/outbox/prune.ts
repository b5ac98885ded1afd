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
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: BatchProgress & { table: PrunedTable }) => void) | undefined;
}

/**
 * How many finished rows a pass reads ahead, to delete them grouped by event id. Deleting a row
 * deletes its entries in (partner, event_id) and (event_id) too, which lie at random places: in
 * finishing order, each row of a batch costs a random page of each (2.5 disk reads per row at
 * 2,000,000 rows with a 128 MiB buffer pool, where those two indexes take 320 MiB). Batches cut from
 * 50,000 rows sorted by event id share those pages (0.4–0.8 reads per row, 2–3× the rows per
 * second), while the rows themselves (about 50 MiB of the primary key, with 1 KiB bodies) stay in the
 * buffer pool until their batch comes. 20,000 gained little, 100,000 lost the rows between batches.
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
    rows.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : a.id - b.id));
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
    { batchSize: options.batchSize, signal: options.signal, onBatch: progress },
  );
}

/**
 * From this share of expired dedupe rows on, a pass walks the primary key rather than received_at:
 * see selectExpiredDedupeByKey. Measured at 2,000,000 rows with a 128 MiB buffer pool (docs/dba.md,
 * "At scale"): the key walk reads about 1/share rows per row it deletes, sequentially, where the
 * received_at walk reads two random pages per row deleted.
 */
export const DEDUPE_KEY_WALK_SHARE = 0.1;

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
    { batchSize: options.batchSize, signal: options.signal, onBatch: progress },
  );
}

function reporter(table: PrunedTable, options: PruneStepOptions, total: number | null) {
  options.onProgress?.({ table, done: 0, total });
  return (done: number) => options.onProgress?.({ table, done, total });
}
