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
  /** Partners whose stored secrets this process cannot open (their events get 503): `degraded` when any. */
  partnersWithUnreadableSecrets: string[];
  /**
   * This process's event-loop delay (last 100 ms window) and the threshold past which new webhooks
   * are refused with 503 (null: off). Informational: a busy loop does not change `status`, since a
   * probe that took the host out of its load balancer would take the CRM's own pages with it.
   */
  eventLoop?: { delayMs: number; maxDelayMs: number | null; shedding: boolean };
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
  /** Slugs of partners whose secrets cannot be opened with this process's key (none when unknown). */
  unreadableSecrets?(): Promise<string[]>;
  eventLoop?: () => NonNullable<HealthReport['eventLoop']>;
  clock: Clock;
  maxPendingAgeSeconds: number;
  timeoutMs: number;
  /** Figures (and the ping) read less than this long ago are answered again without a query. */
  cacheMs?: number;
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
  const freshForMs = deps.cacheMs ?? 0;
  const ping = sharedRead(deps.ping, { clock: deps.clock, abandonAfterMs });
  const backlog = sharedRead(deps.readBacklog, { clock: deps.clock, abandonAfterMs, freshForMs });

  // The measured latency is what is reused, not the ping's promise (a reused promise would read as
  // 0 ms); a failed ping is not reused.
  const measuredPing = sharedRead(
    async () => {
      const started = deps.clock.now();
      await withTimeout(ping(), deps.timeoutMs, 'the database ping');
      return Math.max(0, deps.clock.now() - started);
    },
    { clock: deps.clock, abandonAfterMs, freshForMs },
  );
  const measurePing = (): Promise<number | null> => measuredPing().catch(() => null);

  return async () => {
    const [latencyMs, figures, unreadable] = await Promise.all([
      measurePing(),
      withTimeout(backlog(), deps.timeoutMs, 'the backlog query').catch((): BacklogFigures | null => null),
      deps.unreadableSecrets ? withTimeout(deps.unreadableSecrets(), deps.timeoutMs, 'the partners read').catch((): string[] => []) : [],
    ]);
    const reachable = latencyMs !== null;
    let status: HealthReport['status'] = 'ok';
    if (!reachable || !figures) status = 'down';
    else if ((figures.overdueSeconds ?? 0) > deps.maxPendingAgeSeconds || unreadable.length > 0) status = 'degraded';
    return {
      status,
      database: { reachable, latencyMs },
      backlog: figures ? figures.pending + figures.processing : null,
      oldestPendingAgeSeconds: figures?.oldestPendingAgeSeconds ?? null,
      overdueSeconds: figures?.overdueSeconds ?? null,
      dead: figures ? figures.dead : null,
      queueDepth: deps.queueDepth(),
      partnersWithUnreadableSecrets: unreadable,
      ...(deps.eventLoop ? { eventLoop: deps.eventLoop() } : {}),
      blockedKeys: figures?.blockedKeys ?? null,
      oldestBlockedKeySeconds: figures?.oldestBlockedKeySeconds ?? null,
    };
  };
}
