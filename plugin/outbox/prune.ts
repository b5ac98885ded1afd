import type { Knex } from 'knex';
import type { Dialect } from '../store/dialect.js';
import { DEDUPE_TABLE, OUTBOX_TABLE } from '../store/inbox.js';
import { toDbTime } from '../store/time.js';
import { chunks, runBatches, type BatchProgress, type BatchRun } from './batches.js';
import { countRows } from './replay.js';

export type PrunedTable = 'webhook_outbox' | 'webhook_dedupe';

export interface PruneStepOptions {
  /** Rows older than this database time (ms) go. */
  cutoffMs: number;
  batchSize: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: BatchProgress & { table: PrunedTable }) => void) | undefined;
}

/**
 * Both passes walk their received_at index with a cursor (`received_at >= last seen`), so rows the
 * pass must keep are read once per run rather than once per batch.
 */
function cursorOn(column: string) {
  let last: string | null = null;
  return {
    apply<Q extends Knex.QueryBuilder>(query: Q): Q {
      return (last === null ? query : query.andWhere(column, '>=', last)) as Q;
    },
    advance(value: unknown) {
      if (typeof value === 'string') last = value;
      else if (value instanceof Date) last = toDbTime(value.getTime());
    },
  };
}

/**
 * Deletes `done` outbox rows finished before the cutoff (processed_at, or received_at for rows
 * without one). Since processed_at is never before received_at, `received_at < cutoff` is implied and
 * lets idx_webhook_outbox_age (status, received_at) find the candidates.
 */
export async function pruneDoneRows(knex: Knex, dialect: Dialect, options: PruneStepOptions): Promise<BatchRun> {
  const cutoff = toDbTime(options.cutoffMs);
  const expired = (db: Knex | Knex.Transaction) =>
    db(OUTBOX_TABLE)
      .where('status', 'done')
      .andWhere('received_at', '<', cutoff)
      .andWhere(knex.raw('COALESCE(??, ??)', ['processed_at', 'received_at']), '<', cutoff);
  const cursor = cursorOn('received_at');
  const progress = reporter('webhook_outbox', options, options.onProgress ? await countRows(expired(knex)) : null);
  return runBatches<number>(
    {
      async next(limit) {
        const rows: Array<{ id: number | string; received_at: string | Date }> = await cursor
          .apply(expired(knex))
          .select('id', 'received_at')
          .orderBy('received_at')
          .limit(limit)
          .options(dialect.readOptions);
        cursor.advance(rows.at(-1)?.received_at);
        return rows.map((r) => Number(r.id));
      },
      apply: (ids) =>
        knex.transaction(async (trx) => {
          let deleted = 0;
          for (const part of chunks(ids)) deleted += await trx(OUTBOX_TABLE).whereIn('id', part).andWhere('status', 'done').del();
          return deleted;
        }, dialect.shortTransaction),
    },
    { batchSize: options.batchSize, signal: options.signal, onBatch: progress },
  );
}

/**
 * Deletes dedupe rows received before the cutoff, except those whose event still has an outbox row
 * that is not done: if a dead event's dedupe row went, a redelivery would be accepted as new and the
 * replayed original and the copy could both be applied. The DELETE repeats both conditions, so a row
 * whose state changed after it was selected is kept. READ COMMITTED (dialect.shortTransaction) keeps
 * InnoDB from gap-locking the outbox index that subquery reads, which would hold up ingest's inserts.
 */
export async function pruneDedupeRows(knex: Knex, dialect: Dialect, options: PruneStepOptions): Promise<BatchRun> {
  const cutoff = toDbTime(options.cutoffMs);
  const expired = (db: Knex | Knex.Transaction) =>
    db(DEDUPE_TABLE)
      .where(`${DEDUPE_TABLE}.received_at`, '<', cutoff)
      .whereNotExists((sub) =>
        sub
          .select(knex.raw('1'))
          .from(`${OUTBOX_TABLE} as o`)
          .where('o.partner', '=', knex.ref(`${DEDUPE_TABLE}.partner`))
          .andWhere('o.event_id', '=', knex.ref(`${DEDUPE_TABLE}.event_id`))
          .andWhereNot('o.status', 'done'),
      );
  const cursor = cursorOn(`${DEDUPE_TABLE}.received_at`);
  const progress = reporter('webhook_dedupe', options, options.onProgress ? await countRows(expired(knex)) : null);
  return runBatches<[string, string]>(
    {
      async next(limit) {
        const rows: Array<{ partner: string; event_id: string; received_at: string | Date }> = await cursor
          .apply(expired(knex))
          .select('partner', 'event_id', `${DEDUPE_TABLE}.received_at`)
          .orderBy(`${DEDUPE_TABLE}.received_at`)
          .limit(limit)
          .options(dialect.readOptions);
        cursor.advance(rows.at(-1)?.received_at);
        return rows.map((r) => [r.partner, r.event_id]);
      },
      apply: (keys) =>
        knex.transaction(async (trx) => {
          let deleted = 0;
          for (const part of chunks(keys)) deleted += await expired(trx).whereIn(['partner', 'event_id'], part).del();
          return deleted;
        }, dialect.shortTransaction),
    },
    { batchSize: options.batchSize, signal: options.signal, onBatch: progress },
  );
}

function reporter(table: PrunedTable, options: PruneStepOptions, total: number | null) {
  options.onProgress?.({ table, done: 0, total });
  return (done: number) => options.onProgress?.({ table, done, total });
}
