import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { OUTBOX_TABLE } from './outbox-insert.js';
import { oldestPendingAgeSeconds } from './backlog.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../types.js';

export interface OutboxStats {
  byStatus: Record<OutboxStatus, number>;
  /** Only partners that have rows in the outbox. */
  byPartner: Record<string, Record<OutboxStatus, number>>;
  /** Whole seconds since the oldest pending event was received, by the database's clock; null when none is pending. */
  oldestPendingAgeSeconds: number | null;
}

const zeroCounts = (): Record<OutboxStatus, number> =>
  Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;

/** Counts come from idx_webhook_outbox_stats (status, partner) and the age from idx_webhook_outbox_age. */
export async function readOutboxStats(knex: Knex, dialect: Dialect): Promise<OutboxStats> {
  const groups: Array<{ status: string; partner: string; n: number | string }> = await knex(OUTBOX_TABLE)
    .select('status', 'partner')
    .count({ n: '*' })
    .groupBy('status', 'partner');
  const byStatus = zeroCounts();
  // A Map: slugs such as "__proto__" and "constructor" are valid, and must stay plain keys.
  const byPartner = new Map<string, Record<OutboxStatus, number>>();
  for (const { status, partner, n } of groups) {
    if (!(OUTBOX_STATUSES as readonly string[]).includes(status)) continue;
    byStatus[status as OutboxStatus] += Number(n);
    const counts = byPartner.get(partner) ?? zeroCounts();
    counts[status as OutboxStatus] += Number(n);
    byPartner.set(partner, counts);
  }
  return { byStatus, byPartner: sortedByKey(byPartner), oldestPendingAgeSeconds: await oldestPendingAgeSeconds(knex, dialect) };
}

/** Object.fromEntries defines own properties, so even a "__proto__" slug is an ordinary key here. */
function sortedByKey<T>(entries: ReadonlyMap<string, T>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
