import type { Clock } from '../types.js';

/**
 * Wraps an expensive read so that callers arriving while it runs share its result: a scrape asks for
 * the same figures from four gauges at once, and a load balancer may probe /_health while a scrape
 * is waiting. A call older than `abandonAfterMs` is no longer shared, so one query stuck on a dead
 * connection does not blind the plugin forever once the database is back.
 */
export function sharedRead<T>(read: () => Promise<T>, options: { clock: Clock; abandonAfterMs: number }): () => Promise<T> {
  let current: { promise: Promise<T>; startedMs: number } | null = null;
  return () => {
    const now = options.clock.now();
    if (current && now - current.startedMs < options.abandonAfterMs) return current.promise;
    const entry = { promise: read(), startedMs: now };
    current = entry;
    const forget = () => {
      if (current === entry) current = null;
    };
    entry.promise.then(forget, forget);
    return entry.promise;
  };
}
