/**
 * Group commit. Items submitted while a commit is in flight wait for the next one and share it, so a
 * burst costs one transaction per batch instead of one per request, and a lone request never waits
 * for a timer: with a free commit slot it is committed at once.
 */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions<I, O> {
  /** A batch stops growing at this many counted items (one item counting more still gets a batch). */
  maxBatchSize: number;
  /** Counted items waiting beyond this are refused at once with `overloaded()`. */
  maxWaiting: number;
  /**
   * How many an item counts for the two limits above (default 1): an item may be a unit of several
   * events (one request's batch) that must commit together, and counts as its events.
   */
  countOf?(item: I): number;
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
  /** Counted items waiting plus those in running batches. */
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
  let inFlightCount = 0;
  let queuedBytes = 0;
  let queuedCount = 0;
  const sizeOf = options.sizeOf ?? (() => 0);
  const countOf = options.countOf ?? (() => 1);
  const maxBatchBytes = options.maxBatchBytes ?? Number.POSITIVE_INFINITY;
  const maxWaitingBytes = options.maxWaitingBytes ?? Number.POSITIVE_INFINITY;

  function takeBatch(): { batch: Waiting<I, O>[]; counted: number } {
    let taken = 0;
    let counted = 0;
    let bytes = 0;
    while (taken < queue.length) {
      const item = queue[taken]!.item;
      const size = sizeOf(item);
      const count = countOf(item);
      if (taken > 0 && (bytes + size > maxBatchBytes || counted + count > options.maxBatchSize)) break;
      bytes += size;
      counted += count;
      taken += 1;
    }
    queuedBytes -= bytes;
    queuedCount -= counted;
    return { batch: queue.splice(0, taken), counted };
  }

  function pump(): void {
    while (running < options.maxConcurrent && queue.length > 0) {
      const { batch, counted } = takeBatch();
      running += 1;
      inFlightCount += counted;
      void runBatch(batch, counted);
    }
  }

  async function runBatch(batch: Waiting<I, O>[], counted: number): Promise<void> {
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
    inFlightCount -= counted;
    pump();
  }

  return {
    get size() {
      return queuedCount + inFlightCount;
    },
    submit(item: I, signal?: AbortSignal): Promise<O> {
      const size = sizeOf(item);
      const count = countOf(item);
      if (signal?.aborted) return Promise.reject(signal.reason);
      // As with bytes, a lone unit larger than the limit is still taken when nothing waits.
      if (queue.length > 0 && (queuedCount + count > options.maxWaiting || queuedBytes + size > maxWaitingBytes)) {
        return Promise.reject(options.overloaded());
      }
      return new Promise<O>((resolve, reject) => {
        const onAbort = () => {
          const at = queue.indexOf(waiting);
          if (at >= 0) {
            queue.splice(at, 1);
            queuedBytes -= size;
            queuedCount -= count;
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
        queuedCount += count;
        queue.push(waiting);
        pump();
      });
    },
  };
}
