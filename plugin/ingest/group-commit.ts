/**
 * Group commit. Items submitted while a commit is in flight wait for the next one and share it, so a
 * burst costs one transaction per batch instead of one per request, and a lone request never waits
 * for a timer: with a free commit slot it is committed at once.
 */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions<I, O> {
  maxBatchSize: number;
  /** Items waiting beyond this are refused at once with `overloaded()`. */
  maxWaiting: number;
  /** Size of an item (bytes of its body), for the two byte limits below. */
  sizeOf?(item: I): number;
  /** A batch stops growing at this many bytes (one item larger than it still gets a batch). */
  maxBatchBytes?: number;
  /** Bytes waiting beyond this are refused like items beyond maxWaiting: bounded memory under a burst of large bodies. */
  maxWaitingBytes?: number;
  maxConcurrent: number;
  /** Runs one batch; must settle every item (position i answers items[i]) and never reject. */
  run(items: I[]): Promise<Settled<O>[]>;
  overloaded(): Error;
}

export interface GroupCommit<I, O> {
  /**
   * Resolves with the item's result. An abort while the item still waits removes it (it is never
   * committed) and rejects with the signal's reason; once its batch runs, the batch finishes but the
   * caller is answered at once with the reason.
   */
  submit(item: I, signal?: AbortSignal): Promise<O>;
  /** Items waiting plus items in running batches. */
  readonly size: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export function createGroupCommit<I, O>(options: GroupCommitOptions<I, O>): GroupCommit<I, O> {
  const queue: Waiting<I, O>[] = [];
  let running = 0;
  let inFlightItems = 0;
  let queuedBytes = 0;
  const sizeOf = options.sizeOf ?? (() => 0);
  const maxBatchBytes = options.maxBatchBytes ?? Number.POSITIVE_INFINITY;
  const maxWaitingBytes = options.maxWaitingBytes ?? Number.POSITIVE_INFINITY;

  function takeBatch(): Waiting<I, O>[] {
    let count = 0;
    let bytes = 0;
    while (count < queue.length && count < options.maxBatchSize) {
      const size = sizeOf(queue[count]!.item);
      if (count > 0 && bytes + size > maxBatchBytes) break;
      bytes += size;
      count += 1;
    }
    queuedBytes -= bytes;
    return queue.splice(0, count);
  }

  function pump(): void {
    while (running < options.maxConcurrent && queue.length > 0) {
      const batch = takeBatch();
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
    submit(item: I, signal?: AbortSignal): Promise<O> {
      const size = sizeOf(item);
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (queue.length >= options.maxWaiting || (queue.length > 0 && queuedBytes + size > maxWaitingBytes)) {
        return Promise.reject(options.overloaded());
      }
      return new Promise<O>((resolve, reject) => {
        const onAbort = () => {
          const at = queue.indexOf(waiting);
          if (at >= 0) {
            queue.splice(at, 1);
            queuedBytes -= size;
          }
          reject(signal!.reason);
        };
        const settle = <T>(fn: (value: T) => void) => (value: T) => {
          signal?.removeEventListener('abort', onAbort);
          fn(value);
        };
        const waiting: Waiting<I, O> = { item, resolve: settle(resolve), reject: settle(reject) };
        signal?.addEventListener('abort', onAbort, { once: true });
        queuedBytes += size;
        queue.push(waiting);
        pump();
      });
    },
  };
}
