import type { Knex } from 'knex';
import type { AttemptOutcome, Telemetry } from '../observe/telemetry.js';
import type { Settings } from '../settings.js';
import type { DbClock } from '../store/db-clock.js';
import { markDone, markFailed, releaseClaims, renewLease, type ClaimedEvent, type Fence } from '../store/outbox.js';
import type { Clock, Logger, WebhookEvent } from '../types.js';
import { retryDelayMs } from './backoff.js';
import { errorText } from './error-text.js';
import type { HandlerRegistry } from './registry.js';

export interface ExecuteDeps {
  knex: Knex;
  dbClock: DbClock;
  clock: Clock;
  random: () => number;
  logger: Logger;
  telemetry: Telemetry;
  registry: HandlerRegistry;
  processing: Settings['processing'];
  logBodies: boolean;
}

class LeaseLostError extends Error {
  constructor() {
    super('the claim on this event was lost (lease expired and another worker took it)');
    this.name = 'LeaseLostError';
  }
}

class HandlerTimeoutError extends Error {
  constructor(ms: number) {
    super(`the handler ran past its timeout of ${ms} ms`);
    this.name = 'HandlerTimeoutError';
  }
}

/** Raised into a running handler when the plugin stops before it finished. */
export class StoppingError extends Error {
  constructor() {
    super('the plugin is stopping');
    this.name = 'StoppingError';
  }
}

const fenceOf = (event: ClaimedEvent): Fence => ({ outboxId: event.outboxId, lockedBy: event.lockedBy, attempt: event.attempt });

/**
 * Runs one claimed event and always leaves its row released: done (with the handlers' writes, in one
 * transaction), back to pending with a due time, dead, or given back at stop. Never throws.
 */
export async function executeEvent(deps: ExecuteDeps, event: ClaimedEvent, stopSignal: AbortSignal): Promise<AttemptOutcome> {
  const { telemetry } = deps;
  const started = deps.clock.now();
  const log = deps.logger.child({ partner: event.partner, eventId: event.eventId, outboxId: event.outboxId, attempt: event.attempt });
  const finish = (outcome: AttemptOutcome) => {
    telemetry.attempt(event.partner, outcome, (deps.clock.now() - started) / 1000);
    return outcome;
  };

  try {
    await ensureLease(deps, event);
    const handlers = deps.registry.handlersFor(event.eventType);
    await runInTransaction(deps, event, log, stopSignal, handlers);
    return finish(handlers.length > 0 ? 'done' : 'unhandled');
  } catch (error) {
    if (error instanceof LeaseLostError) {
      log.warn({ reason: 'lease_lost' }, error.message);
      return finish('lease_lost');
    }
    if (error instanceof StoppingError) {
      await releaseClaims(deps.knex, [fenceOf(event)], { started: true, nowMs: deps.dbClock.now() }).catch((releaseError: unknown) =>
        log.error({ err: releaseError }, 'could not release the event at stop; it is retried when its lease expires'),
      );
      return finish('retry');
    }
    return finish(await recordFailure(deps, event, log, error));
  }
}

async function ensureLease(deps: ExecuteDeps, event: ClaimedEvent): Promise<void> {
  // An event may wait in memory before it runs; make sure its lease outlives the handler timeout
  // (config guarantees leaseMs > handlerTimeoutMs, so a renewed lease always does).
  const { handlerTimeoutMs, leaseMs } = deps.processing;
  const needed = handlerTimeoutMs + Math.min(5000, (leaseMs - handlerTimeoutMs) / 2);
  if (event.lockedUntilMs - deps.dbClock.now() >= needed) return;
  const until = deps.dbClock.now() + leaseMs;
  if (!(await renewLease(deps.knex, fenceOf(event), until))) throw new LeaseLostError();
  event.lockedUntilMs = until;
}

async function runInTransaction(
  deps: ExecuteDeps,
  event: ClaimedEvent,
  log: ReturnType<Logger['child']>,
  stopSignal: AbortSignal,
  handlers: ReturnType<HandlerRegistry['handlersFor']>,
): Promise<void> {
  const trx = await deps.knex.transaction();
  const controller = new AbortController();
  const timeoutMs = deps.processing.handlerTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const aborted = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new HandlerTimeoutError(timeoutMs));
      reject(new HandlerTimeoutError(timeoutMs));
    }, timeoutMs);
    const onStop = () => {
      controller.abort(new StoppingError());
      reject(new StoppingError());
    };
    if (stopSignal.aborted) onStop();
    else stopSignal.addEventListener('abort', onStop, { once: true });
  });
  aborted.catch(() => undefined);

  try {
    const webhookEvent: WebhookEvent = {
      outboxId: event.outboxId,
      partner: event.partner,
      id: event.eventId,
      type: event.eventType,
      payload: JSON.parse(event.payload) as unknown,
      rawBody: event.payload,
      receivedAt: new Date(event.receivedAtMs),
      attempt: event.attempt,
    };
    const context = { trx, logger: log, idempotencyKey: `${event.partner}:${event.eventId}`, signal: controller.signal };
    await Promise.race([
      (async () => {
        for (const handler of handlers) await handler(webhookEvent, context);
      })(),
      aborted,
    ]);
    if (!(await Promise.race([markDone(trx, fenceOf(event), deps.dbClock.now()), aborted]))) throw new LeaseLostError();
    await trx.commit();
  } catch (error) {
    // A handler that ignores its signal may still hold the connection; do not wait on it forever.
    void trx.rollback().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function recordFailure(deps: ExecuteDeps, event: ClaimedEvent, log: ReturnType<Logger['child']>, error: unknown): Promise<AttemptOutcome> {
  const { processing } = deps;
  const dead = event.attempt >= processing.maxAttempts;
  const now = deps.dbClock.now();
  const retryAtMs = dead ? null : now + retryDelayMs(event.attempt, processing.backoff, deps.random);
  const fields = {
    err: error,
    type: event.eventType,
    outcome: dead ? 'dead' : 'retry',
    nextAttemptAt: retryAtMs === null ? null : new Date(retryAtMs).toISOString(),
    ...(deps.logBodies ? { body: event.payload } : {}),
  };
  log.warn(fields, dead ? 'event failed its last attempt and is dead' : 'event attempt failed; retrying later');
  try {
    if (!(await markFailed(deps.knex, fenceOf(event), { error: errorText(error), retryAtMs, nowMs: now }))) {
      log.warn({ reason: 'lease_lost' }, 'the failed attempt could not be recorded: the claim was lost');
      return 'lease_lost';
    }
  } catch (storeError) {
    log.error({ err: storeError }, 'could not record the failed attempt; the event is retried when its lease expires');
  }
  return dead ? 'dead' : 'retry';
}
