import type { AttemptOutcome } from '../observe/telemetry.js';
import { abandonTransaction } from '../store/abandon-transaction.js';
import { markManyDone, releaseClaims, type ClaimedEvent } from '../store/claims.js';
import { ClaimLostError, StoppingError } from './errors.js';
import { eventLogger, executeEvent, fenceOf, markStarted, mayStillRun, settleFailure, type ExecuteDeps } from './execute-event.js';
import { closeOrderGate, handlersThrough, openOrderGate } from './order-gate.js';
import { runHandlers } from './run-handlers.js';
import { watchTransaction } from './transaction-watch.js';
import { loggableError } from '../observe/loggable-error.js';

export type BatchDeps = ExecuteDeps;

/** The shared transaction was given up; `index` is the event whose handler failed, if one did. */
class BatchAbort extends Error {
  constructor(
    readonly index: number,
    readonly reason: unknown,
  ) {
    super('batch aborted');
  }
}

/**
 * Runs several claimed events in ONE transaction, then marks them all done with one statement and
 * commits once: under load, one commit per batch instead of one per event, and no per-event
 * statements of the plugin's own. The batch is optimistic: if any handler fails (or times out, or
 * the transaction breaks), everything is rolled back, the failing event's attempt is recorded, and
 * the others run again one by one in transactions of their own. Database effects stay exactly once;
 * a handler's external call may be repeated when a batch mate failed, which the at-least-once
 * contract and the idempotency key already cover. Events on a retry run alone: they are the ones
 * likely to fail again.
 */
export async function executeBatch(deps: BatchDeps, events: ClaimedEvent[], stopSignal: AbortSignal): Promise<void> {
  // With a single attempt, a batch mate charged for another event's crash would have none left.
  const shareable = (e: ClaimedEvent) => e.attempt === 1 && deps.processing.maxAttempts > 1;
  const first = events.filter(shareable);
  for (const retry of events.filter((e) => !shareable(e))) await executeEvent(deps, retry, stopSignal);
  if (first.length === 1) await executeEvent(deps, first[0]!, stopSignal);
  if (first.length <= 1) return;

  const started = deps.clock.now();
  let held: ClaimedEvent[];
  try {
    // The whole batch is marked started at once: one write, not one per event. If one handler kills
    // the process, each batch mate is charged this one attempt, and then runs alone (a retry).
    held = await markStarted(deps, first);
  } catch (error) {
    for (const event of first) record(deps, event, await settleFailure(deps, event, eventLogger(deps, event), error), started);
    return;
  }
  for (const event of first.filter((e) => !held.includes(e))) {
    record(deps, event, await settleFailure(deps, event, eventLogger(deps, event), new ClaimLostError()), started);
  }
  if (held.length === 0) return;
  try {
    const outcomes = await runShared(deps, held, stopSignal);
    held.forEach((event, i) => record(deps, event, outcomes[i]!, started));
  } catch (error) {
    await recover(deps, held, error, stopSignal, started);
  }
}

async function runShared(deps: BatchDeps, events: ClaimedEvent[], stopSignal: AbortSignal): Promise<AttemptOutcome[]> {
  const trx = await deps.knex.transaction();
  const watch = watchTransaction(trx, deps.dialect);
  try {
    const outcomes: AttemptOutcome[] = [];
    for (const [index, event] of events.entries()) {
      try {
        // Issue 12: one event per key reaches a batch (the claim sees to it), so each locks its own mark.
        const gate = await openOrderGate(trx, deps.dialect, event);
        const handlers = handlersThrough(deps.registry, event, gate);
        outcomes.push(gate?.stale ? 'stale' : handlers.length > 0 ? 'done' : 'unhandled');
        if (handlers.length > 0) {
          await runHandlers(trx, handlers, event, eventLogger(deps, event), {
            timeoutMs: deps.processing.handlerTimeoutMs,
            stopSignal,
            onFinished: deps.onHandlersFinished,
            stale: gate?.stale,
          });
          watch.check();
        }
        await closeOrderGate(trx, event, gate, deps.dbClock.now());
      } catch (error) {
        throw new BatchAbort(index, error);
      }
    }
    if (!(await markManyDone(trx, deps.dialect, events.map(fenceOf), deps.dbClock.now()))) throw new BatchAbort(-1, new ClaimLostError());
    await trx.commit();
    return outcomes;
  } catch (error) {
    await abandonTransaction(deps.knex, trx, deps.dialect, { interrupt: mayStillRun(error instanceof BatchAbort ? error.reason : error) });
    throw error;
  } finally {
    watch.dispose();
  }
}

async function recover(deps: BatchDeps, events: ClaimedEvent[], error: unknown, stopSignal: AbortSignal, started: number): Promise<void> {
  const abort = error instanceof BatchAbort ? error : new BatchAbort(-1, error);
  if (abort.reason instanceof StoppingError) {
    // Events up to the interrupted one had their handlers called (their writes rolled back with the
    // batch) and keep their attempt; the rest never started and get it back.
    const cut = abort.reason.handlersStarted ? abort.index + 1 : Math.max(0, abort.index);
    const nowMs = deps.dbClock.now();
    await releaseClaims(deps.knex, events.slice(0, cut).map(fenceOf), { started: true, nowMs }).catch(() => undefined);
    await releaseClaims(deps.knex, events.slice(cut).map(fenceOf), { started: false, nowMs }).catch(() => undefined);
    events.forEach((event) => record(deps, event, 'released', started));
    return;
  }
  deps.logger.debug({ err: loggableError(abort.reason, deps.logBodies), events: events.length }, 'batch rolled back; running its events one by one');
  for (const [index, event] of events.entries()) {
    if (index === abort.index) {
      // This handler already had its attempt (and failed it); the rest were only rolled back with it.
      record(deps, event, await settleFailure(deps, event, eventLogger(deps, event), abort.reason), started);
    } else {
      await executeEvent(deps, event, stopSignal);
    }
  }
}

function record(deps: ExecuteDeps, event: ClaimedEvent, outcome: AttemptOutcome, started: number): void {
  deps.telemetry.attempt(event.partner, outcome, (deps.clock.now() - started) / 1000);
}
