import type { Clock, OutboxStatus } from '../types.js';
import { sharedRead } from './shared-read.js';
import { withTimeout } from './with-timeout.js';

/** The outbox figures metrics read: the statuses that make up the backlog (done rows are not counted). */
export interface OutboxFigures {
  byStatus: Readonly<Record<Exclude<OutboxStatus, 'done'>, number>>;
  oldestPendingAgeSeconds: number | null;
  /** Issue 12: keys held back by a failed earlier event. */
  blockedKeys?: number;
  oldestBlockedKeySeconds?: number | null;
}

export interface OutboxFiguresDeps {
  stats(): Promise<OutboxFigures>;
  clock: Clock;
  /** Each read gives up after this long; a slow database must not hang a scrape or a probe. */
  timeoutMs: number;
}

export type ReadOutboxFigures = () => Promise<OutboxFigures>;

/** Outbox statistics read with a deadline, one query shared by every caller that arrives meanwhile. */
export function createOutboxFigures(deps: OutboxFiguresDeps): ReadOutboxFigures {
  const shared = sharedRead(deps.stats, { clock: deps.clock, abandonAfterMs: Math.max(30_000, deps.timeoutMs * 10) });
  return () => withTimeout(shared(), deps.timeoutMs, 'the outbox statistics query');
}
