import type { Knex } from 'knex';
import type { Dialect } from '../store/dialect.js';
import { countDead, replayDeadIds, replayOne, selectDeadIds, statusesOf } from '../store/outbox-replay.js';
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

/** Replays rows one conditional UPDATE each, then says why each of the others was left alone. */
export async function replayIds(knex: Knex, ids: readonly number[], nowMs: number): Promise<ReplayResult> {
  const replayed: number[] = [];
  for (const id of ids) {
    if (await replayOne(knex, id, nowMs)) replayed.push(id);
  }
  const left = ids.filter((id) => !replayed.includes(id));
  const statuses = new Map<number, string>();
  for (const part of chunks(left)) for (const [id, status] of await statusesOf(knex, part)) statuses.set(id, status);
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
  const total = options.onProgress ? await countDead(knex, options.partner) : null;
  options.onProgress?.({ done: 0, total });
  let lastId = 0;
  return runBatches<number>(
    {
      async next(limit) {
        const ids = await selectDeadIds(knex, dialect, { partner: options.partner, afterId: lastId, limit });
        lastId = ids.at(-1) ?? lastId;
        return ids;
      },
      async apply(ids) {
        let changed = 0;
        for (const part of chunks(ids, 1000)) changed += await replayDeadIds(knex, part, nowMs);
        return changed;
      },
    },
    { batchSize: options.batchSize, signal: options.signal, onBatch: (done) => options.onProgress?.({ done, total }) },
  );
}
