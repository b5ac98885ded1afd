import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { oldestPendingAgeSeconds } from './backlog.js';
import { countStatus, DEFAULT_STATUS_COUNT_LIMITS, type StatusCountLimits } from './outbox-status-counts.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../types.js';

export interface OutboxStats {
  byStatus: Record<OutboxStatus, number>;
  /** Only partners that have rows in the outbox. */
  byPartner: Record<string, Record<OutboxStatus, number>>;
  /** Whole seconds since the oldest pending event was received, by the database's clock; null when none is pending. */
  oldestPendingAgeSeconds: number | null;
}

/** The stats, and which statuses' figures are estimates (the stats' own shape is fixed by the contract). */
export interface OutboxStatsReport {
  stats: OutboxStats;
  estimated: OutboxStatus[];
}

export interface OutboxStatsOptions {
  /** Count every row, however many (seconds on a table of millions). */
  exact?: boolean | undefined;
  limits?: StatusCountLimits | undefined;
}

const zeroCounts = (): Record<OutboxStatus, number> =>
  Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;

/**
 * Counts come from idx_webhook_outbox_stats (status, partner), status by status: the small ones
 * (pending, processing, and dead as long as it is not huge) exactly, a status of many rows (done,
 * on a big table) estimated unless `exact` (see countStatus). The age comes from idx_webhook_outbox_age.
 */
export async function readOutboxStats(knex: Knex, dialect: Dialect, options: OutboxStatsOptions = {}): Promise<OutboxStatsReport> {
  const byStatus = zeroCounts();
  // A Map: slugs such as "__proto__" and "constructor" are valid, and must stay plain keys.
  const byPartner = new Map<string, Record<OutboxStatus, number>>();
  const estimated: OutboxStatus[] = [];
  for (const status of OUTBOX_STATUSES) {
    const counts = await countStatus(knex, dialect, status, { exact: options.exact ?? false, limits: options.limits ?? DEFAULT_STATUS_COUNT_LIMITS });
    if (counts.estimated) estimated.push(status);
    for (const [partner, n] of counts.byPartner) {
      byStatus[status] += n;
      const row = byPartner.get(partner) ?? zeroCounts();
      row[status] += n;
      byPartner.set(partner, row);
    }
  }
  const stats = { byStatus, byPartner: sortedByKey(byPartner), oldestPendingAgeSeconds: await oldestPendingAgeSeconds(knex, dialect) };
  return { stats, estimated };
}

/** Object.fromEntries defines own properties, so even a "__proto__" slug is an ordinary key here. */
function sortedByKey<T>(entries: ReadonlyMap<string, T>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
