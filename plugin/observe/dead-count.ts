import type { Clock } from '../types.js';

export interface DeadCountDeps {
  /** Dead rows that died before this database time (or lack processed_at). */
  countBefore(beforeMs: number): Promise<number>;
  /** Dead rows that died at or after this database time. */
  countSince(sinceMs: number): Promise<number>;
  /** The database's clock: processed_at is written in its time. */
  dbNow(): number;
  clock: Clock;
  /** How often the (costly) count of older dead rows is taken again. */
  recountMs: number;
}

/**
 * The dead-row figure of /_health and /_metrics as a running figure, so a probe or scrape costs the
 * same with 50 or 5 million dead rows (issue 16): the rows that died before a base time are counted
 * once per `recountMs`, and each read adds only those that died since, a short range of
 * idx_webhook_outbox_finished. The base lies a minute back, so a row whose process's clock lags a
 * little is still counted. A row replayed or pruned out of the older part shows until the next recount.
 */
export function createDeadCount(deps: DeadCountDeps): () => Promise<number> {
  const SKEW_MARGIN_MS = 60_000;
  let base: { beforeMs: number; count: number; takenAtMs: number } | null = null;
  return async () => {
    if (base === null || deps.clock.now() - base.takenAtMs >= deps.recountMs) {
      const takenAtMs = deps.clock.now();
      const beforeMs = deps.dbNow() - SKEW_MARGIN_MS;
      base = { beforeMs, count: await deps.countBefore(beforeMs), takenAtMs };
    }
    return base.count + (await deps.countSince(base.beforeMs));
  };
}
