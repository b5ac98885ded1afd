import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { fromDbTime, toDbTime } from './time.js';

export const LOCKS_TABLE = 'webhook_locks';

export interface LockRequest {
  name: string;
  holder: string;
  /** Database time now, ms. */
  nowMs: number;
  ttlMs: number;
}

/**
 * Takes or renews a named lease: true when `holder` holds it until now + ttl. A lease row rather than
 * MySQL's GET_LOCK, which belongs to one connection and would pin it out of the host's pool for as
 * long as the lock is held. Both statements are atomic on MySQL and SQLite: the UPDATE re-reads the
 * row under its lock, and of two INSERT IGNOREs of a new name only one inserts.
 */
export async function acquireLock(knex: Knex, dialect: Dialect, request: LockRequest): Promise<boolean> {
  const now = toDbTime(request.nowMs);
  const until = toDbTime(request.nowMs + request.ttlMs);
  const updated = await knex(LOCKS_TABLE)
    .where('name', request.name)
    .andWhere((q) => q.where('holder', request.holder).orWhere('locked_until', '<', now).orWhereNull('holder'))
    .update({ holder: request.holder, locked_until: until });
  if (updated > 0) return true;
  const { sql, bindings } = knex(LOCKS_TABLE).insert({ name: request.name, holder: request.holder, locked_until: until }).onConflict('name').ignore().toSQL();
  return dialect.affectedRows(await knex.raw(sql, bindings)) === 1;
}

/** Gives a lease up at once, so another process need not wait for it to expire. False if it was not held. */
export async function releaseLock(knex: Knex, lease: { name: string; holder: string; nowMs: number }): Promise<boolean> {
  const changed = await knex(LOCKS_TABLE)
    .where({ name: lease.name, holder: lease.holder })
    .update({ holder: null, locked_until: toDbTime(lease.nowMs) });
  return changed > 0;
}

export async function readLock(knex: Knex, dialect: Dialect, name: string): Promise<{ holder: string | null; lockedUntil: Date } | null> {
  const row: { holder: string | null; locked_until: string | Date } | undefined = await knex(LOCKS_TABLE)
    .select('holder', 'locked_until')
    .where('name', name)
    .options(dialect.readOptions)
    .first();
  return row ? { holder: row.holder, lockedUntil: fromDbTime(row.locked_until) } : null;
}
