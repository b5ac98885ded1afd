/** What a progress bar needs after each batch; `total` is null when it was not counted. */
export interface BatchProgress {
  done: number;
  total: number | null;
}

/**
 * One pass of a batched change: `next` selects the keys of the next batch (a read, outside any
 * transaction) and `apply` changes them in one short transaction, re-checking the conditions so
 * rows that changed in between are left alone. It returns how many rows it changed.
 */
export interface BatchStep<K> {
  next(limit: number): Promise<K[]>;
  apply(keys: K[]): Promise<number>;
}

export interface BatchRun {
  changed: number;
  batches: number;
  interrupted: boolean;
}

/**
 * Runs batches until `next` finds fewer rows than a full batch. The abort signal is looked at only
 * between batches, so an interrupted run has finished every batch it started and nothing is half done.
 */
export async function runBatches<K>(
  step: BatchStep<K>,
  options: { batchSize: number; signal?: AbortSignal | undefined; onBatch?: ((changed: number) => void) | undefined },
): Promise<BatchRun> {
  let changed = 0;
  let batches = 0;
  for (;;) {
    if (options.signal?.aborted) return { changed, batches, interrupted: true };
    const keys = await step.next(options.batchSize);
    if (keys.length === 0) break;
    changed += await step.apply(keys);
    batches += 1;
    options.onBatch?.(changed);
    if (keys.length < options.batchSize) break;
    await yieldToEventLoop();
  }
  return { changed, batches, interrupted: false };
}

/**
 * better-sqlite3 answers synchronously, so a run of batches is one long chain of promise callbacks
 * that never lets the event loop poll: a host's HTTP server would stall and the CLI would never see
 * its Ctrl-C. setImmediate runs after the poll phase, so every batch gives both a turn.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Splits a batch's keys over several statements: SQLite allows 32,766 bound values per statement,
 * and a configured batch (up to 100,000) of two-column keys would pass that.
 */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
