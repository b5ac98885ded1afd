/**
 * Group commit. Items submitted while a commit is in flight wait for the next one and share it, so a
 * burst costs one transaction per batch instead of one per request, and a lone request never waits
 * for a timer: with a free commit slot it is committed at once.
 */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface BatcherOptions<I, O> {
  maxBatchSize: number;
  /** Items waiting beyond this are refused at once with `overloaded()`. */
  maxQueued: number;
  maxConcurrent: number;
  /** Runs one batch; must settle every item (position i answers items[i]) and never reject. */
  run(items: I[]): Promise<Settled<O>[]>;
  overloaded(): Error;
}

export interface Batcher<I, O> {
  submit(item: I): Promise<O>;
  /** Items waiting plus items in running batches. */
  readonly size: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export function createBatcher<I, O>(options: BatcherOptions<I, O>): Batcher<I, O> {
  const queue: Waiting<I, O>[] = [];
  let running = 0;
  let inFlightItems = 0;

  function pump(): void {
    while (running < options.maxConcurrent && queue.length > 0) {
      const batch = queue.splice(0, options.maxBatchSize);
      running += 1;
      inFlightItems += batch.length;
      void runBatch(batch);
    }
  }

  async function runBatch(batch: Waiting<I, O>[]): Promise<void> {
    let results: Settled<O>[];
    try {
      results = await options.run(batch.map((w) => w.item));
    } catch (error) {
      results = batch.map(() => ({ ok: false as const, error }));
    }
    batch.forEach((waiting, i) => {
      const result = results[i] ?? { ok: false as const, error: new Error('batch returned no result for an item') };
      if (result.ok) waiting.resolve(result.value);
      else waiting.reject(result.error);
    });
    running -= 1;
    inFlightItems -= batch.length;
    pump();
  }

  return {
    get size() {
      return queue.length + inFlightItems;
    },
    submit(item: I): Promise<O> {
      if (queue.length >= options.maxQueued) return Promise.reject(options.overloaded());
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      });
    },
  };
}
