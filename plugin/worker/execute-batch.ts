import type { AttemptOutcome } from '../observe/telemetry.js';
import { markFailed, markManyDone, releaseClaims, type ClaimedEvent } from '../store/outbox.js';
import type { Dialect } from '../store/dialect.js';
import { HandlerTimeoutError, LeaseLostError, StoppingError } from './errors.js';
import { describeFailure, ensureLease, eventLogger, executeEvent, fenceOf, settleFailure, type ExecuteDeps } from './execute-event.js';
import { runHandlers } from './run-handlers.js';

export interface BatchDeps extends ExecuteDeps {
  dialect: Dialect;
}

/** The batch cannot go on as one transaction; `index` is the event that caused it, if any. */
class BatchAbort extends Error {
  constructor(
    readonly index: number,
    readonly reason: unknown,
  ) {
    super('batch aborted');
  }
}

/**
 * Runs several claimed events in ONE transaction: each event's handlers in a savepoint of their own
 * (a failing handler rolls back only its event's writes), then one statement marks all the
 * successful rows done and the batch commits once. Under load this turns one commit per event into
 * one per batch. Anything that breaks the shared transaction itself (a deadlock, a lost connection,
 * a handler past its timeout, a lost lease, the plugin stopping) rolls the whole batch back and its
 * events run again one by one, so the outcome per event is the same as without batching.
 */
export async function executeBatch(deps: BatchDeps, events: ClaimedEvent[], stopSignal: AbortSignal): Promise<void> {
  if (events.length === 1) {
    await executeEvent(deps, events[0]!, stopSignal);
    return;
  }
  const started = deps.clock.now();
  const held: ClaimedEvent[] = [];
  for (const event of events) {
    try {
      await ensureLease(deps, event);
      held.push(event);
    } catch (error) {
      record(deps, event, await settleFailure(deps, event, eventLogger(deps, event), error), started);
    }
  }
  try {
    const outcomes = await runShared(deps, held, stopSignal);
    held.forEach((event, i) => record(deps, event, outcomes[i]!, started));
  } catch (error) {
    await recover(deps, held, error, stopSignal, started);
  }
}

async function runShared(deps: BatchDeps, events: ClaimedEvent[], stopSignal: AbortSignal): Promise<AttemptOutcome[]> {
  const trx = await deps.knex.transaction();
  try {
    const outcomes: AttemptOutcome[] = [];
    const succeeded: ClaimedEvent[] = [];
    const failed: Array<{ event: ClaimedEvent; error: unknown }> = [];
    for (const [index, event] of events.entries()) {
      const handlers = deps.registry.handlersFor(event.eventType);
      if (handlers.length === 0) {
        succeeded.push(event);
        outcomes.push('unhandled');
        continue;
      }
      try {
        await trx.transaction((savepoint) =>
          runHandlers(savepoint, handlers, event, eventLogger(deps, event), { timeoutMs: deps.processing.handlerTimeoutMs, stopSignal }),
        );
        succeeded.push(event);
        outcomes.push('done');
      } catch (error) {
        if (breaksTransaction(deps.dialect, error)) throw new BatchAbort(index, error);
        failed.push({ event, error });
        outcomes.push('retry');
      }
    }
    if (!(await markManyDone(trx, succeeded.map(fenceOf), deps.dbClock.now()))) throw new BatchAbort(-1, new LeaseLostError());
    for (const { event, error } of failed) {
      const failure = describeFailure(deps, event, eventLogger(deps, event), error);
      if (!(await markFailed(trx, fenceOf(event), failure))) throw new BatchAbort(-1, new LeaseLostError());
      outcomes[events.indexOf(event)] = failure.retryAtMs === null ? 'dead' : 'retry';
    }
    await trx.commit();
    return outcomes;
  } catch (error) {
    void trx.rollback().catch(() => undefined);
    throw error;
  }
}

/** Errors after which the shared transaction is gone or must not be trusted. */
function breaksTransaction(dialect: Dialect, error: unknown): boolean {
  if (error instanceof HandlerTimeoutError || error instanceof StoppingError) return true;
  if (dialect.isDeadlock(error) || dialect.isUnavailable(error)) return true;
  // A deadlock rolls back the whole InnoDB transaction, after which its savepoints are gone too.
  return /savepoint/i.test((error as Error | null)?.message ?? '');
}

async function recover(deps: BatchDeps, events: ClaimedEvent[], error: unknown, stopSignal: AbortSignal, started: number): Promise<void> {
  const abort = error instanceof BatchAbort ? error : new BatchAbort(-1, error);
  if (abort.reason instanceof StoppingError) {
    await releaseClaims(deps.knex, events.map(fenceOf), { started: true, nowMs: deps.dbClock.now() }).catch(() => undefined);
    events.forEach((event) => record(deps, event, 'retry', started));
    return;
  }
  deps.logger.warn({ err: abort.reason, events: events.length }, 'batch transaction aborted; running its events one by one');
  for (const [index, event] of events.entries()) {
    if (index === abort.index && abort.reason instanceof HandlerTimeoutError) {
      // That handler already had its attempt; running it again at once would just time out again.
      record(deps, event, await settleFailure(deps, event, eventLogger(deps, event), abort.reason), started);
    } else {
      await executeEvent(deps, event, stopSignal);
    }
  }
}

function record(deps: ExecuteDeps, event: ClaimedEvent, outcome: AttemptOutcome, started: number): void {
  deps.telemetry.attempt(event.partner, outcome, (deps.clock.now() - started) / 1000);
}
