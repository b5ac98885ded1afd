import type { Knex } from 'knex';
import type { Clock } from '../types.js';
import type { Dialect } from './dialect.js';
import { fromDbTime } from './time.js';

/**
 * The database's clock, read through the injected one. Leases and due times must agree across every
 * host sharing the database, so they are anchored on the database's time; but they are computed from
 * `clock.now()` plus a measured offset, so tests can move time with a fake clock instead of sleeping.
 */
export interface DbClock {
  /** Database time now, in ms since the epoch. */
  now(): number;
  /** Measures the offset again (clocks drift; the poller calls this now and then). */
  sync(): Promise<void>;
}

export function createDbClock(knex: Knex, dialect: Dialect, clock: Clock): DbClock {
  let offsetMs = 0;
  return {
    now: () => clock.now() + offsetMs,
    async sync() {
      const before = clock.now();
      const raw = await knex.raw(`SELECT ${dialect.nowSql} AS now`);
      const after = clock.now();
      const [row] = dialect.rawRows<{ now: string }>(raw);
      // Half the round trip is the best estimate of when the server read its clock.
      offsetMs = fromDbTime(row!.now).getTime() - Math.round((before + after) / 2);
    },
  };
}
