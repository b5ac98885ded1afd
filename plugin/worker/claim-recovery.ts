import type { Knex } from 'knex';
import type { DbClock } from '../store/db-clock.js';
import { recoverExpiredClaims } from '../store/claims.js';
import type { Logger } from '../types.js';

export interface ClaimRecoveryDeps {
  knex: Knex;
  dbClock: DbClock;
  maxAttempts: number;
  logger: Logger;
}

/**
 * Recovery: takes back the rows whose claim expired (their process died or hung), so any process
 * runs them again. Runs on its own timer, at once on start (the leftovers of a crash).
 */
export function createClaimRecovery(deps: ClaimRecoveryDeps) {
  return async function recover(): Promise<void> {
    const recovered = await recoverExpiredClaims(deps.knex, { nowMs: deps.dbClock.now(), maxAttempts: deps.maxAttempts });
    if (recovered.pending + recovered.dead + recovered.notStarted > 0) deps.logger.warn(recovered, 'took back events whose claim expired');
  };
}
