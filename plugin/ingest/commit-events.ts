import type { Knex } from 'knex';
import { StoreUnavailableError, WebhookError } from '../errors.js';
import type { DbClock } from '../store/db-clock.js';
import type { Dialect } from '../store/dialect.js';
import { inConnectionTransaction } from '../store/connection-transaction.js';
import { detectInsertCapabilities, insertEventsIn, type InboundEvent, type InsertCapabilities, type InsertOutcome } from '../store/outbox-insert.js';
import type { Logger } from '../types.js';
import type { FastPath } from '../worker/dispatcher.js';
import { createGroupCommit, type Settled } from './group-commit.js';
import { loggableError } from '../observe/loggable-error.js';

export interface CommitResult {
  outcome: InsertOutcome;
  /** The id to answer with: for a duplicate, the id of the event it repeats. */
  eventId: string;
}

export interface EventCommitterDeps {
  knex: Knex;
  dialect: Dialect;
  dbClock: DbClock;
  logger: Logger;
  maxBatchSize: number;
  maxWaiting: number;
  maxWaitingBytes: number;
  maxBatchBytes: number;
  maxConcurrentCommits: number;
  deadlockRetries: number;
  retryAfterSeconds: number;
  /** The dispatcher's door: claims to write with new rows, and where to hand the claimed events. */
  fastPath: FastPath;
}

/**
 * Commits one request's events (one, or the items of a batched body) as a unit: all in the same
 * transaction, never some of them. Resolves with one result per event, in order. `signal` abandons
 * the wait (the commit deadline): a waiting unit is dropped, a committing one still commits.
 */
export type EventCommitter = ((events: readonly InboundEvent[], signal?: AbortSignal) => Promise<CommitResult[]>) & { readonly queued: number };

/**
 * Commits units through the batcher. A batch is one transaction; a deadlock retries it; an
 * unreachable database fails it (503 for every request in it); any other error splits it into its
 * units (requests), so one bad row cannot fail the innocent requests that happened to share its
 * transaction, and a request's batch is never half committed.
 */
export function createEventCommitter(deps: EventCommitterDeps): EventCommitter {
  const { knex, dialect, dbClock, logger, fastPath } = deps;
  const unavailable = (cause: unknown) =>
    new WebhookError(503, 'store_unavailable', 'the event could not be stored; retry later', {
      retryAfterSeconds: deps.retryAfterSeconds,
      cause,
    });

  // Asked of the server on the first commit, not at creation: the plugin is built before the host's
  // database may be reachable. A failed read is asked again next time.
  let capabilities: Promise<InsertCapabilities> | undefined;
  const insertCapabilities = () =>
    (capabilities ??= detectInsertCapabilities(knex, dialect).catch((error: unknown) => {
      capabilities = undefined;
      throw error;
    }));

  async function commit(events: readonly InboundEvent[]): Promise<CommitResult[]> {
    const claims = fastPath.reserve(events.length);
    let outcomes;
    const receivedAtMs = dbClock.now();
    try {
      const can = await insertCapabilities();
      outcomes = await withDeadlockRetry(() => inConnectionTransaction(knex, dialect, (session) => insertEventsIn(session, dialect, events, receivedAtMs, claims, can)));
    } catch (error) {
      fastPath.release(claims.length);
      throw error;
    }
    // Committed: from here on the outbox holds these events whatever happens to this process.
    let used = 0;
    const results = outcomes.map(({ outcome, outboxId, eventId }, i): CommitResult => {
      const claim = claims[i];
      if (!claim || outboxId === null) return { outcome, eventId };
      used += 1;
      const event = events[i]!;
      fastPath.dispatch({
        outboxId,
        partner: event.partner,
        eventId: event.eventId,
        eventType: event.eventType,
        payload: event.payload,
        payloadFormat: event.payloadFormat ?? null,
        receivedAtMs,
        attempt: 1,
        lockedBy: claim.lockedBy,
        lockedUntilMs: claim.lockedUntilMs,
      });
      return { outcome, eventId };
    });
    fastPath.release(claims.length - used);
    // Ordered events are committed unclaimed (issue 12): have a poller look for them now.
    if (events.some((event, i) => event.order && outcomes[i]!.outcome === 'accepted')) fastPath.wake();
    return results;
  }

  async function withDeadlockRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if (!dialect.isDeadlock(error) || attempt >= deps.deadlockRetries) throw error;
        logger.warn({ attempt: attempt + 1 }, 'deadlock while storing events; retrying the batch');
      }
    }
  }

  async function run(units: (readonly InboundEvent[])[]): Promise<Settled<CommitResult[]>[]> {
    const events = units.length === 1 ? units[0]! : units.flat();
    try {
      const results = await commit(events);
      let at = 0;
      return units.map((unit) => ({ ok: true as const, value: results.slice(at, (at += unit.length)) }));
    } catch (error) {
      if (units.length === 1 || dialect.isUnavailable(error) || dialect.isDeadlock(error)) {
        logger.error({ err: loggableError(error), events: events.length }, 'events could not be committed; answering 503');
        return units.map(() => ({ ok: false as const, error: unavailable(error) }));
      }
      logger.warn({ err: loggableError(error), events: events.length, requests: units.length }, 'batch failed; committing its requests one by one');
      const results: Settled<CommitResult[]>[] = [];
      for (const unit of units) results.push(...(await run([unit])));
      return results;
    }
  }

  const sizeOf = (event: InboundEvent) => event.payload.length + event.headers.length;
  const batcher = createGroupCommit<readonly InboundEvent[], CommitResult[]>({
    maxBatchSize: deps.maxBatchSize,
    maxWaiting: deps.maxWaiting,
    countOf: (unit) => unit.length,
    sizeOf: (unit) => (unit.length === 1 ? sizeOf(unit[0]!) : unit.reduce((sum, event) => sum + sizeOf(event), 0)),
    maxBatchBytes: deps.maxBatchBytes,
    maxWaitingBytes: deps.maxWaitingBytes,
    maxConcurrent: deps.maxConcurrentCommits,
    run,
    overloaded: () =>
      new WebhookError(503, 'overloaded', 'too many events are waiting to be stored; retry later', {
        retryAfterSeconds: deps.retryAfterSeconds,
        cause: new StoreUnavailableError('ingest queue full'),
      }),
  });

  return Object.defineProperty((events: readonly InboundEvent[], signal?: AbortSignal) => batcher.submit(events, signal), 'queued', { get: () => batcher.size }) as EventCommitter;
}
