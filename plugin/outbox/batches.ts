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
 * Runs batches until `next` finds fewer rows than a full batch. With `streams` above 1, up to that
 * many `apply` calls run at once (each on a connection of its own), while `next` reads the batch
 * after: at millions of rows a prune's DELETE waits on disk reads of random index pages, and a
 * second statement in flight keeps the disk busy while the first waits (issue 16). `next` is never
 * run twice at once, so a cursor it keeps stays simple. The abort signal is looked at only between
 * batches, and a run that stops (interrupted, or on an error) first waits for every batch it
 * started, so nothing is left half done behind it.
 */
export async function runBatches<K>(
  step: BatchStep<K>,
  options: { batchSize: number; streams?: number | undefined; signal?: AbortSignal | undefined; onBatch?: ((changed: number) => void) | undefined },
): Promise<BatchRun> {
  const streams = Math.max(1, options.streams ?? 1);
  const running = new Set<Promise<void>>();
  let changed = 0;
  let batches = 0;
  let failed: { error: unknown } | null = null;
  let interrupted = false;
  const start = (keys: K[]): void => {
    const batch = step.apply(keys).then(
      (n) => {
        changed += n;
        batches += 1;
        options.onBatch?.(changed);
      },
      (error: unknown) => {
        failed ??= { error };
      },
    );
    const tracked = batch.finally(() => running.delete(tracked));
    running.add(tracked);
  };
  try {
    for (;;) {
      if (failed) break;
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const keys = await step.next(options.batchSize);
      if (keys.length === 0) break;
      start(keys);
      if (keys.length < options.batchSize) break;
      while (running.size >= streams) await Promise.race(running);
      await yieldToEventLoop();
    }
  } finally {
    await Promise.all(running);
  }
  if (failed) throw (failed as { error: unknown }).error;
  return { changed, batches, interrupted };
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
