import type { Clock } from '../types.js';
import { sharedRead } from './shared-read.js';
import { withTimeout } from './with-timeout.js';

/** What the health check reads from the database (store/backlog.ts gives it). */
export interface BacklogFigures {
  pending: number;
  processing: number;
  dead: number;
  oldestPendingAgeSeconds: number | null;
  overdueSeconds: number | null;
  blockedKeys?: number;
  oldestBlockedKeySeconds?: number | null;
}

/** The body of GET /_health. Figures the database did not give in time are null. */
export interface HealthReport {
  /** ok: 200. degraded: the database answers but events wait too long (503). down: no database (503). */
  status: 'ok' | 'degraded' | 'down';
  database: { reachable: boolean; latencyMs: number | null };
  /** Pending plus processing rows, in every process. */
  backlog: number | null;
  /** Since the oldest pending event was received, as `outbox stats` reports it (a scheduled retry counts). */
  oldestPendingAgeSeconds: number | null;
  /** How long the most overdue pending event has waited past its due time: what `degraded` is decided on. */
  overdueSeconds: number | null;
  dead: number | null;
  /** Events in this process's memory. */
  queueDepth: number;
  /**
   * Issue 12: order keys whose due events wait behind a failed earlier event (retrying, or dead with
   * onDead: block), and how long the oldest of those has been due. Reported, not a 503: the wait is
   * the policy working.
   */
  blockedKeys: number | null;
  oldestBlockedKeySeconds: number | null;
}

export interface HealthDeps {
  /** A trivial query: does the database answer, and how fast. */
  ping(): Promise<unknown>;
  readBacklog(): Promise<BacklogFigures>;
  queueDepth(): number;
  clock: Clock;
  maxPendingAgeSeconds: number;
  timeoutMs: number;
}

/**
 * Answers within `timeoutMs` whatever the database does: the ping and the backlog query run side by
 * side, each raced against that deadline, and a query still hanging from an earlier probe is shared
 * by later ones rather than repeated.
 *
 * `degraded` is decided on overdueSeconds, not on the age since receipt: an event whose handler
 * failed a few times legitimately waits hours for its next attempt (backoff), and that must not
 * take the host out of a load balancer; an event that is due and not taken is what says the workers
 * are stuck. For a fresh event the two figures are the same.
 */
export function createHealthCheck(deps: HealthDeps): () => Promise<HealthReport> {
  const abandonAfterMs = Math.max(30_000, deps.timeoutMs * 10);
  const ping = sharedRead(deps.ping, { clock: deps.clock, abandonAfterMs });
  const backlog = sharedRead(deps.readBacklog, { clock: deps.clock, abandonAfterMs });

  async function measurePing(): Promise<number | null> {
    const started = deps.clock.now();
    try {
      await withTimeout(ping(), deps.timeoutMs, 'the database ping');
      return Math.max(0, deps.clock.now() - started);
    } catch {
      return null;
    }
  }

  return async () => {
    const [latencyMs, figures] = await Promise.all([
      measurePing(),
      withTimeout(backlog(), deps.timeoutMs, 'the backlog query').catch((): BacklogFigures | null => null),
    ]);
    const reachable = latencyMs !== null;
    let status: HealthReport['status'] = 'ok';
    if (!reachable || !figures) status = 'down';
    else if ((figures.overdueSeconds ?? 0) > deps.maxPendingAgeSeconds) status = 'degraded';
    return {
      status,
      database: { reachable, latencyMs },
      backlog: figures ? figures.pending + figures.processing : null,
      oldestPendingAgeSeconds: figures?.oldestPendingAgeSeconds ?? null,
      overdueSeconds: figures?.overdueSeconds ?? null,
      dead: figures ? figures.dead : null,
      queueDepth: deps.queueDepth(),
      blockedKeys: figures?.blockedKeys ?? null,
      oldestBlockedKeySeconds: figures?.oldestBlockedKeySeconds ?? null,
    };
  };
}
