import type { Knex } from 'knex';
import type { DbClock } from '../store/db-clock.js';
import type { Dialect } from '../store/dialect.js';
import { acquireLock, releaseLock } from '../store/locks.js';

export interface Lease {
  /** Takes the lease or extends it; false while another process holds it. */
  acquire(): Promise<boolean>;
  /** Gives it up now (no-op if not held). */
  release(): Promise<void>;
}

export interface PruneLockDeps {
  knex: Knex;
  dialect: Dialect;
  /** Lease times are database time, so hosts with drifting clocks agree on expiry. */
  dbClock: DbClock;
  name: string;
  holder: string;
  ttlMs: number;
}

export function createPruneLock(deps: PruneLockDeps): Lease {
  const { knex, dialect, dbClock, name, holder, ttlMs } = deps;
  return {
    acquire: () => acquireLock(knex, dialect, { name, holder, nowMs: dbClock.now(), ttlMs }),
    async release() {
      await releaseLock(knex, { name, holder, nowMs: dbClock.now() });
    },
  };
}
