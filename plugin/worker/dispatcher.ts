import PQueue from 'p-queue';
import type { Dialect } from '../store/dialect.js';
import type { InsertClaim } from '../store/outbox-insert.js';
import { isPoolClosed } from '../store/pool-state.js';
import { claimDue, releaseClaims, type ClaimedEvent } from '../store/claims.js';
import { createClaimHeartbeat, heartbeatEveryMs } from './claim-heartbeat.js';
import { createClaimRecovery } from './claim-recovery.js';
import { executeBatch, type BatchDeps } from './execute-batch.js';
import { createPoller } from './poller.js';
import { createRepeating } from './repeating.js';
import { loggableError } from '../observe/loggable-error.js';

export interface DispatcherDeps extends BatchDeps {
  dialect: Dialect;
  instanceId: string;
  /** While the host's event loop is behind, no new work is claimed (the poller backs off). */
  loopGuard?: { busy(): boolean };
}

/** How the receive path hands events straight to this process's queue. */
export interface FastPath {
  /** Claims to write with the next `count` events, as many as the queue has room for (none when stopped). */
  reserve(count: number): InsertClaim[];
  /** Returns reserved claims that were not used. */
  release(count: number): void;
  /** Queues an event committed with one of the reserved claims. */
  dispatch(event: ClaimedEvent): void;
  /** Events were committed without a claim (ordered ones, issue 12): poll for them now. */
  wake(): void;
}

const CLOCK_SYNC_MS = 60_000;
const SLOW_EVENT_MS = 2;
const ABORT_GRACE_MS = 5000;

/**
 * Runs claimed events on a p-queue. The outbox stays the source of truth: the in-memory queue is
 * bounded (`memoryQueueLimit`), holds only rows this process has leased, and whatever it loses in a crash
 * is taken back by some poller once the lease expires.
 */
export function createDispatcher(deps: DispatcherDeps) {
  const { processing, logger, knex } = deps;
  const queue = new PQueue({ concurrency: processing.concurrency });
  const waiting = new Map<number, ClaimedEvent>(); // insertion-ordered: first in, first run
  let scheduled = 0; // drain tasks queued in p-queue but not started yet
  let active = 0; // drain tasks running (counted here: p-queue counts a task until it has returned)
  const runningEvents = new Map<number, ClaimedEvent>(); // events inside batches that are executing
  let reserved = 0;
  let accepting = false;
  let stopController = new AbortController();
  let backlog = false;
  let msPerEvent = 0; // moving average of the time an event's handlers take (not commits or pool waits)
  let schedulePending = false;
  const stray: Promise<unknown>[] = [];

  const batchDeps = {
    ...deps,
    onHandlersFinished: (ms: number) => {
      msPerEvent = msPerEvent * 0.9 + ms * 0.1;
    },
  };
  const depth = () => waiting.size + runningEvents.size + reserved;
  const free = () => Math.max(0, processing.memoryQueueLimit - depth());

  /**
   * How many waiting events one worker takes. Batches save a commit per event, but their events run
   * one after another: while handlers are quick, whole batches win; once they are slow (they call
   * other services), the waiting events are shared across the workers so they run in parallel.
   */
  function batchSize(): number {
    const fair = Math.ceil(waiting.size / processing.concurrency);
    const size = msPerEvent < SLOW_EVENT_MS ? waiting.size : fair;
    return Math.max(1, Math.min(processing.batchSize, size));
  }

  function enqueue(event: ClaimedEvent): void {
    waiting.set(event.outboxId, event);
    // Schedule once the caller has enqueued everything it has (one ingest commit hands over a whole
    // batch in a loop): starting a worker on the first event would give it a batch of one.
    if (schedulePending) return;
    schedulePending = true;
    queueMicrotask(() => {
      schedulePending = false;
      schedule();
    });
  }

  /**
   * p-queue runs "drain" tasks, each taking up to batchSize waiting events when it starts. A lone
   * event starts at once in a batch of one; under load, events that wait while every slot is busy
   * are taken together, which is what lets them share one transaction.
   */
  function schedule(): void {
    while (scheduled + active < processing.concurrency && scheduled < waiting.size) {
      scheduled += 1;
      void queue.add(drain);
    }
  }

  async function drain(): Promise<void> {
    scheduled -= 1;
    const size = batchSize();
    const batch: ClaimedEvent[] = [];
    for (const [id, event] of waiting) {
      if (batch.length >= size) break;
      waiting.delete(id);
      batch.push(event);
    }
    if (batch.length === 0) return;
    for (const event of batch) runningEvents.set(event.outboxId, event);
    active += 1;
    try {
      await executeBatch(batchDeps, batch, stopController.signal);
    } finally {
      for (const event of batch) runningEvents.delete(event.outboxId);
      active -= 1;
    }
    schedule();
    // Issue 12: finishing an ordered event frees the next event of its key, which only a claim can take.
    if (batch.some((event) => event.order) || (backlog && !deps.loopGuard?.busy() && free() >= Math.min(processing.claimBatchSize, processing.memoryQueueLimit) / 2)) poller.wake();
  }

  /** The poller's one job: claim due rows (a crash's leftovers, retries now due, other processes' events). */
  async function poll(): Promise<boolean> {
    // While the host's loop is behind, claim little and let the poller back off: slower, never
    // stopped, since a host that is always busy must still get its events processed.
    const busy = deps.loopGuard?.busy() ?? false;
    const limit = Math.min(free(), busy ? processing.concurrency : processing.claimBatchSize);
    if (limit === 0 || !accepting) {
      backlog = true;
      return false;
    }
    const claimed = await claimDue(knex, deps.dialect, { lockedBy: deps.instanceId, nowMs: deps.dbClock.now(), claimMs: processing.claimMs, limit });
    for (const event of claimed) enqueue(event);
    backlog = claimed.length === limit;
    return backlog && free() > 0 && !busy;
  }

  const poller = createPoller({
    poll,
    minIntervalMs: processing.pollIntervalMs,
    maxIntervalMs: processing.maxPollIntervalMs,
    logger,
    quiet: () => isPoolClosed(knex),
    transient: (error) => deps.dialect.isDeadlock(error),
  });
  const everyMs = heartbeatEveryMs(processing.claimMs);
  const heartbeat = createRepeating({
    everyMs,
    logger,
    failure: 'renewing the claims this process holds failed',
    quiet: () => isPoolClosed(knex),
    run: createClaimHeartbeat({
      knex,
      dbClock: deps.dbClock,
      claimMs: processing.claimMs,
      held: () => [...waiting.values(), ...runningEvents.values()],
      onLost: (event) => {
        if (waiting.delete(event.outboxId)) logger.warn({ outboxId: event.outboxId }, 'a queued event was taken by another claim; dropped');
      },
    }),
  });
  const recovery = createRepeating({
    everyMs,
    logger,
    failure: 'taking back expired claims failed',
    quiet: () => isPoolClosed(knex),
    run: createClaimRecovery({ knex, dbClock: deps.dbClock, maxAttempts: processing.maxAttempts, logger }),
  });
  const clockSync = createRepeating({ everyMs: CLOCK_SYNC_MS, logger, failure: 'reading the database clock failed', quiet: () => isPoolClosed(knex), run: () => deps.dbClock.sync() });

  /** Gives back claims that never reached a handler; quietly when the host has closed the pool meanwhile. */
  function giveBack(events: ClaimedEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return releaseClaims(knex, events, { started: false, nowMs: deps.dbClock.now() }).then(
      () => undefined,
      (error: unknown) => logGiveBackFailure(error, events.length),
    );
  }

  function logGiveBackFailure(error: unknown, events: number): void {
    if (isPoolClosed(knex)) logger.info({ events }, 'the host closed the database before stop() gave back queued events; they are retried when their claim expires');
    else logger.error({ err: loggableError(error, deps.logBodies), events }, 'could not release queued events at stop; they are retried when their claim expires');
  }

  const fastPath: FastPath = {
    reserve(count) {
      if (!accepting) return [];
      const granted = Math.min(count, free());
      reserved += granted;
      const claim = { lockedBy: deps.instanceId, lockedUntilMs: deps.dbClock.now() + processing.claimMs };
      return Array.from({ length: granted }, () => claim);
    },
    release(count) {
      reserved = Math.max(0, reserved - count);
    },
    dispatch(event) {
      reserved = Math.max(0, reserved - 1);
      if (accepting) {
        enqueue(event);
        return;
      }
      stray.push(giveBack([event]));
    },
    wake() {
      if (accepting) poller.wake();
    },
  };

  return {
    fastPath,
    /** Events in memory: waiting, running, or reserved for a commit in flight. */
    get depth() {
      return depth();
    },
    get accepting() {
      return accepting;
    },
    async start(): Promise<void> {
      if (accepting) return;
      await deps.dbClock.sync();
      stopController = new AbortController();
      accepting = true;
      clockSync.start(false);
      recovery.start(true); // at once: the leftovers of a crash
      heartbeat.start(false);
      poller.start();
    },
    /**
     * Stops claiming, gives back what has not started, waits up to `timeoutMs` for running handlers,
     * then aborts the rest and gives them back too. Resolves when nothing of this process holds a
     * live lease (unless the database is unreachable, in which case the leases simply expire).
     */
    async stop(timeoutMs = processing.stopTimeoutMs): Promise<void> {
      accepting = false;
      // Give back what waits in memory before anything else: a host that destroys its knex right
      // after calling stop() still lets statements already waiting for a connection run.
      const releasing = [giveBack(takeWaiting())];
      await Promise.all([poller.stop(), recovery.stop(), clockSync.stop()]);
      releasing.push(giveBack(takeWaiting())); // claimed by a poll that was in flight
      // Commits already holding reserved claims hand their events over (and, now, get them released)
      // within one commit's time; wait for them so nothing of ours is held after stop() returns.
      // (Counted in real 5 ms steps, not on the injectable clock, which a test may have frozen.)
      for (let waited = 0; reserved > 0 && waited < Math.min(timeoutMs, 5000); waited += 5) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (!(await settlesWithin(queue.onIdle(), timeoutMs))) {
        logger.warn({ running: queue.pending }, 'handlers still running at stop timeout; aborting and releasing them');
        stopController.abort();
        // Aborted attempts stop their statements and give their rows back within a few seconds;
        // past that, stop() returns anyway and the claims expire by themselves.
        if (!(await settlesWithin(queue.onIdle(), ABORT_GRACE_MS))) logger.warn({ running: queue.pending }, 'aborted handlers did not end; their claims expire by themselves');
      }
      await heartbeat.stop();
      await Promise.all([...releasing, ...stray.splice(0)]);
    },
  };

  function takeWaiting(): ClaimedEvent[] {
    const events = [...waiting.values()];
    waiting.clear();
    queue.clear();
    scheduled = 0;
    return events;
  }
}

/** Resolves true when `work` settles within `ms`, false otherwise (it keeps running). */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
