import type { Knex } from 'knex';
import type { AttemptOutcome, Telemetry } from '../observe/telemetry.js';
import type { Settings } from '../settings.js';
import type { DbClock } from '../store/db-clock.js';
import type { Dialect } from '../store/dialect.js';
import { abandonTransaction } from '../store/abandon-transaction.js';
import { isPoolClosed } from '../store/pool-state.js';
import { markDone, markFailed, markHandlersStarted, releaseClaims, type ClaimedEvent, type Fence } from '../store/claims.js';
import type { Clock, Logger } from '../types.js';
import { retryDelayMs } from './backoff.js';
import { errorText } from './error-text.js';
import { HandlerTimeoutError, ClaimLostError, StoppingError } from './errors.js';
import { closeOrderGate, handlersThrough, openOrderGate, type OrderGate } from './order-gate.js';
import type { HandlerRegistry } from './registry.js';
import { runHandlers } from './run-handlers.js';
import { watchTransaction } from './transaction-watch.js';
import { loggableError } from '../observe/loggable-error.js';

export interface ExecuteDeps {
  knex: Knex;
  dialect: Dialect;
  dbClock: DbClock;
  clock: Clock;
  random: () => number;
  logger: Logger;
  telemetry: Telemetry;
  registry: HandlerRegistry;
  processing: Settings['processing'];
  logBodies: boolean;
  /** Told how long each event's handlers took (when they succeeded); the dispatcher sizes batches by it. */
  onHandlersFinished?: (ms: number) => void;
}

/** A handler that timed out or was stopped may still be inside a statement on its transaction. */
export const mayStillRun = (error: unknown) => error instanceof HandlerTimeoutError || error instanceof StoppingError;

export const fenceOf = (event: ClaimedEvent): Fence => ({ outboxId: event.outboxId, lockedBy: event.lockedBy, attempt: event.attempt });

/**
 * The event's logger, made on first use: a pino child serializes its bindings when it is created,
 * and most events succeed without their handlers or the worker ever logging a line.
 */
export function eventLogger(deps: ExecuteDeps, event: ClaimedEvent): Logger {
  let child: Logger | undefined;
  const get = () => (child ??= deps.logger.child({ partner: event.partner, eventId: event.eventId, outboxId: event.outboxId, attempt: event.attempt }));
  // LogFn is overloaded ((obj, msg?) and (msg)): forward whatever was given, as given.
  const forward = (level: 'debug' | 'info' | 'warn' | 'error') =>
    ((...args: unknown[]) => (get()[level] as (...a: unknown[]) => void)(...args)) as Logger['debug'];
  return {
    debug: forward('debug'),
    info: forward('info'),
    warn: forward('warn'),
    error: forward('error'),
    child: (bindings) => get().child(bindings),
  };
}

/**
 * Runs one claimed event in its own transaction and always leaves its row released: done (with the
 * handlers' writes), back to pending with a due time, dead, or given back at stop. Never throws.
 */
export async function executeEvent(deps: ExecuteDeps, event: ClaimedEvent, stopSignal: AbortSignal): Promise<AttemptOutcome> {
  const started = deps.clock.now();
  const log = eventLogger(deps, event);
  let outcome: AttemptOutcome;
  try {
    if ((await markStarted(deps, [event])).length === 0) throw new ClaimLostError();
    const trx = await deps.knex.transaction();
    const watch = watchTransaction(trx, deps.dialect);
    let handlers;
    let gate: OrderGate;
    try {
      gate = await openOrderGate(trx, deps.dialect, event);
      handlers = handlersThrough(deps.registry, event, gate);
      await runHandlers(trx, handlers, event, log, {
        timeoutMs: deps.processing.handlerTimeoutMs,
        stopSignal,
        onFinished: deps.onHandlersFinished,
        stale: gate?.stale,
      });
      watch.check();
      await closeOrderGate(trx, event, gate, deps.dbClock.now());
      if (!(await markDone(trx, fenceOf(event), deps.dbClock.now()))) throw new ClaimLostError();
      await trx.commit();
    } catch (error) {
      await abandonTransaction(deps.knex, trx, deps.dialect, { interrupt: mayStillRun(error) });
      throw error;
    } finally {
      watch.dispose();
    }
    outcome = gate?.stale ? 'stale' : handlers.length > 0 ? 'done' : 'unhandled';
  } catch (error) {
    outcome = await settleFailure(deps, event, log, error);
  }
  deps.telemetry.attempt(event.partner, outcome, (deps.clock.now() - started) / 1000);
  return outcome;
}

/** What a failed attempt leaves behind, whether it ran alone or in a batch. */
export async function settleFailure(deps: ExecuteDeps, event: ClaimedEvent, log: Logger, error: unknown): Promise<AttemptOutcome> {
  if (error instanceof ClaimLostError) {
    log.warn({ reason: 'lease_lost' }, error.message);
    return 'lease_lost';
  }
  if (error instanceof StoppingError) {
    await releaseClaims(deps.knex, [fenceOf(event)], { started: error.handlersStarted, nowMs: deps.dbClock.now() }).catch((releaseError: unknown) => {
      if (isPoolClosed(deps.knex)) log.info('the host closed the database before the event was given back; it is retried when its claim expires');
      else log.error({ err: loggableError(releaseError, deps.logBodies) }, 'could not release the event at stop; it is retried when its claim expires');
    });
    return 'released';
  }
  if (isPoolClosed(deps.knex)) {
    // The host closed its database under a running attempt (its shutdown): nothing failed that a retry would not fix.
    log.info('the host closed the database under a running attempt; the event is retried when its claim expires');
    return 'released';
  }
  const failure = describeFailure(deps, event, log, error);
  try {
    if (!(await markFailed(deps.knex, fenceOf(event), failure))) {
      log.warn({ reason: 'lease_lost' }, 'the failed attempt could not be recorded: the claim was lost');
      return 'lease_lost';
    }
  } catch (storeError) {
    log.error({ err: loggableError(storeError, deps.logBodies) }, 'could not record the failed attempt; the event is retried when its lease expires');
  }
  return failure.retryAtMs === null ? 'dead' : 'retry';
}

/** Logs a failed attempt (one line, with partner, event id and reason) and says when to retry it. */
export function describeFailure(deps: ExecuteDeps, event: ClaimedEvent, log: Logger, error: unknown): { error: string; retryAtMs: number | null; nowMs: number } {
  const dead = event.attempt >= deps.processing.maxAttempts;
  const nowMs = deps.dbClock.now();
  const retryAtMs = dead ? null : nowMs + retryDelayMs(event.attempt, deps.processing.backoff, deps.random);
  log.warn(
    {
      err: loggableError(error, deps.logBodies),
      type: event.eventType,
      outcome: dead ? 'dead' : 'retry',
      nextAttemptAt: retryAtMs === null ? null : new Date(retryAtMs).toISOString(),
      ...(deps.logBodies ? { body: event.payload } : {}),
    },
    dead ? 'event failed its last attempt and is dead' : 'event attempt failed; retrying later',
  );
  return { error: errorText(error), retryAtMs, nowMs };
}

/**
 * Marks these claims as running their handlers (the only claims a crash may charge an attempt to)
 * and renews their leases for the run, in one statement per claim group. An event may have waited
 * in memory; config guarantees claimMs > handlerTimeoutMs, so the renewed lease outlives the run.
 * Returns the events still held, in order; the others were taken by another claim and must not run.
 */
export async function markStarted(deps: ExecuteDeps, events: ClaimedEvent[]): Promise<ClaimedEvent[]> {
  if (events.length === 0) return [];
  const nowMs = deps.dbClock.now();
  const until = nowMs + deps.processing.claimMs;
  const held = await markHandlersStarted(deps.knex, deps.dialect, events.map(fenceOf), { nowMs, lockedUntilMs: until });
  const kept = events.filter((event) => held.has(event.outboxId));
  for (const event of kept) event.lockedUntilMs = until;
  return kept;
}
