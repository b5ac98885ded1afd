import type { Knex } from 'knex';
import type { Dialect } from '../store/dialect.js';
import { OUTBOX_TABLE } from '../store/inbox.js';
import { toDbTime } from '../store/time.js';
import { chunks, runBatches, type BatchProgress, type BatchRun } from './batches.js';

export interface ReplayResult {
  replayed: number[];
  skipped: Array<{ id: number; reason: string }>;
}

const SKIP_REASONS: Readonly<Record<string, string>> = Object.freeze({
  done: 'already done',
  processing: 'being processed right now',
  pending: 'already pending and due',
});

/**
 * Back to pending, due now, with a fresh attempt budget. `last_error` stays so the admin can still
 * see why it died until the next attempt overwrites it.
 */
function replayChanges(nowMs: number) {
  const now = toDbTime(nowMs);
  return { status: 'pending', attempts: 0, next_attempt_at: now, locked_by: null, locked_until: null, processed_at: null };
}

/**
 * Replays rows one conditional UPDATE each: the WHERE on status means a row a worker claimed in the
 * meantime (processing) or finished (done) is never overwritten, on either database, without locks.
 */
export async function replayIds(knex: Knex, ids: readonly number[], nowMs: number): Promise<ReplayResult> {
  const now = toDbTime(nowMs);
  const replayed: number[] = [];
  for (const id of ids) {
    const changed = await knex(OUTBOX_TABLE)
      .where('id', id)
      .andWhere((q) => q.where('status', 'dead').orWhere((p) => p.where('status', 'pending').andWhere('next_attempt_at', '>', now)))
      .update(replayChanges(nowMs));
    if (changed > 0) replayed.push(id);
  }
  const left = ids.filter((id) => !replayed.includes(id));
  const statuses = new Map<number, string>();
  for (const part of chunks(left)) {
    const rows: Array<{ id: number | string; status: string }> = await knex(OUTBOX_TABLE).select('id', 'status').whereIn('id', part);
    for (const row of rows) statuses.set(Number(row.id), row.status);
  }
  const skipped = left.map((id) => {
    const status = statuses.get(id);
    const reason = status === undefined ? 'not found' : SKIP_REASONS[status] ?? `status changed to ${status} meanwhile; try again`;
    return { id, reason };
  });
  return { replayed, skipped };
}

export interface ReplayDeadOptions {
  partner?: string | undefined;
  batchSize: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: BatchProgress) => void) | undefined;
}

/**
 * Replays every dead row (of one partner, or all) in short batches. The cursor on id means each row
 * is visited once, even if a replayed event dies again while the run is still going.
 */
export async function replayDead(knex: Knex, dialect: Dialect, nowMs: number, options: ReplayDeadOptions): Promise<BatchRun> {
  const dead = () => {
    const query = knex(OUTBOX_TABLE).where('status', 'dead');
    return options.partner ? query.andWhere('partner', options.partner) : query;
  };
  const total = options.onProgress ? await countRows(dead()) : null;
  options.onProgress?.({ done: 0, total });
  let lastId = 0;
  return runBatches<number>(
    {
      async next(limit) {
        const rows: Array<{ id: number | string }> = await dead().andWhere('id', '>', lastId).select('id').orderBy('id').limit(limit);
        const ids = rows.map((r) => Number(r.id));
        lastId = ids.at(-1) ?? lastId;
        return ids;
      },
      apply: (ids) =>
        knex.transaction(async (trx) => {
          let changed = 0;
          for (const part of chunks(ids)) {
            changed += await trx(OUTBOX_TABLE).whereIn('id', part).andWhere('status', 'dead').update(replayChanges(nowMs));
          }
          return changed;
        }, dialect.shortTransaction),
    },
    { batchSize: options.batchSize, signal: options.signal, onBatch: (done) => options.onProgress?.({ done, total }) },
  );
}

export async function countRows(query: Knex.QueryBuilder): Promise<number> {
  const row: { n: number | string } | undefined = await query.clone().clearSelect().clearOrder().count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}
