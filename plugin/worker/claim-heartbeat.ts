import type { Knex } from 'knex';
import type { DbClock } from '../store/db-clock.js';
import { heartbeatClaims, type ClaimedEvent } from '../store/claims.js';

export interface ClaimHeartbeatDeps {
  knex: Knex;
  dbClock: DbClock;
  claimMs: number;
  /** The events this process holds: waiting in memory or running. */
  held(): ClaimedEvent[];
  /** Told about an event whose claim was found taken meanwhile (it expired and was recovered). */
  onLost(event: ClaimedEvent): void;
}

/**
 * The heartbeat: while this process lives it keeps extending the claims of everything it holds,
 * however long events wait in memory or a batch runs, so only the claims of a process that died
 * (or froze) expire. Runs on its own timer, never behind a slow or failing claim query.
 */
export function createClaimHeartbeat(deps: ClaimHeartbeatDeps) {
  return async function beat(): Promise<void> {
    const soon = deps.dbClock.now() + deps.claimMs / 2;
    const due = deps.held().filter((event) => event.lockedUntilMs < soon);
    if (due.length === 0) return;
    const until = deps.dbClock.now() + deps.claimMs;
    const kept = await heartbeatClaims(deps.knex, due, until);
    for (const event of due) {
      if (kept.has(event.outboxId)) event.lockedUntilMs = until;
      else deps.onLost(event);
    }
  };
}

/** Often enough that a claim is renewed several times before it could expire. */
export const heartbeatEveryMs = (claimMs: number) => Math.min(15_000, Math.max(250, claimMs / 4));
