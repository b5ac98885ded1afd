import type { Knex } from 'knex';
import type { Dialect } from '../store/dialect.js';

/** A statement in a handler's transaction failed in a way that ended the transaction itself. */
export class TransactionBrokenError extends Error {
  constructor(cause: unknown) {
    super('a statement in the handler\'s transaction failed and ended the transaction (deadlock or lost connection)', { cause });
    this.name = 'TransactionBrokenError';
  }
}

/**
 * Watches a handler transaction for errors that end it: on InnoDB a deadlock rolls the whole
 * transaction back, after which the connection is in autocommit, so any later statement (the
 * handler's own, and the `done` mark) would commit on its own. A handler that catches such an error
 * and carries on must not get its event marked done; `failure` tells the caller it happened.
 */
export function watchTransaction(trx: Knex.Transaction, dialect: Dialect) {
  let failure: unknown;
  const onError = (error: unknown) => {
    if (failure === undefined && (dialect.isDeadlock(error) || dialect.isUnavailable(error))) failure = error;
  };
  trx.on('query-error', onError);
  return {
    /** Throws if the transaction ended under its handlers. */
    check(): void {
      if (failure !== undefined) throw new TransactionBrokenError(failure);
    },
    dispose(): void {
      trx.off('query-error', onError);
    },
  };
}
