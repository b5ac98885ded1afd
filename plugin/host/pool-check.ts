import type { Knex } from 'knex';

export interface PoolNeeds {
  concurrency: number;
  maxConcurrentCommits: number;
}

/** knex's default pool max when the host sets none (knex docs: "pool: { min: 2, max: 10 }"). */
const KNEX_DEFAULT_POOL_MAX = 10;
/** Connections beyond handlers and commits: the poller's claim, partner reloads, health and metrics reads. */
const HEADROOM = 2;

/**
 * Why the host's pool is too small for the work it was given, or null when it is not. Every running
 * handler holds a connection for its transaction; a handler that opens a second one (a CRM service
 * that does not use `trx`) waits for the pool while holding the first, and with every connection
 * held that way nobody progresses until the host's acquire timeout. SQLite has one connection by
 * design (transactions run one at a time), so it is not checked.
 */
export function poolWarning(knex: Knex, needs: PoolNeeds): string | null {
  const client = knex.client as { dialect?: string; config?: { pool?: { max?: unknown } } };
  if (client.dialect === 'sqlite3' || client.dialect === 'better-sqlite3') return null;
  const configured = client.config?.pool?.max;
  const max = typeof configured === 'number' ? configured : KNEX_DEFAULT_POOL_MAX;
  const wanted = needs.concurrency + needs.maxConcurrentCommits + HEADROOM;
  if (max >= wanted) return null;
  return (
    `the knex pool allows ${max} connections, but processing.concurrency (${needs.concurrency}) handlers and ` +
    `ingest.maxConcurrentCommits (${needs.maxConcurrentCommits}) commits each hold one, plus ${HEADROOM} for polling and health: ` +
    `raise the pool's max to at least ${wanted} or lower processing.concurrency; a handler that opens a second connection ` +
    '(writes not made through trx) needs one more each, and can deadlock the pool'
  );
}
