import type { Clock } from '../types.js';

/**
 * Wraps an expensive read so that callers arriving while it runs share its result: a scrape asks for
 * the same figures from four gauges at once, and a load balancer may probe /_health while a scrape
 * is waiting. A call older than `abandonAfterMs` is no longer shared, so one query stuck on a dead
 * connection does not blind the plugin forever once the database is back. With `freshForMs`, a
 * result is also reused for that long after it arrived, so a flood of probes costs at most one read
 * per period (issue 9: thousands of /_health calls a second must not become thousands of SELECTs).
 * A failed read is never reused.
 */
export function sharedRead<T>(read: () => Promise<T>, options: { clock: Clock; abandonAfterMs: number; freshForMs?: number }): () => Promise<T> {
  const freshForMs = options.freshForMs ?? 0;
  let current: { promise: Promise<T>; startedMs: number; settledMs: number | null } | null = null;
  return () => {
    const now = options.clock.now();
    if (current) {
      const running = current.settledMs === null && now - current.startedMs < options.abandonAfterMs;
      const fresh = current.settledMs !== null && now - current.settledMs < freshForMs;
      if (running || fresh) return current.promise;
    }
    const entry: { promise: Promise<T>; startedMs: number; settledMs: number | null } = { promise: read(), startedMs: now, settledMs: null };
    current = entry;
    entry.promise.then(
      () => {
        if (current === entry) entry.settledMs = options.clock.now();
      },
      () => {
        if (current === entry) current = null;
      },
    );
    return entry.promise;
  };
}
