import PQueue from 'p-queue';
import type { Dialect } from '../store/dialect.js';
import type { InsertClaim } from '../store/inbox.js';
import { claimDue, recoverExpiredLeases, releaseClaims, renewLeases, type ClaimedEvent } from '../store/outbox.js';
import { executeBatch, type BatchDeps } from './execute-batch.js';
import { createPoller } from './poller.js';

export interface DispatcherDeps extends BatchDeps {
  dialect: Dialect;
  instanceId: string;
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

/**
 * Runs claimed events on a p-queue. The outbox stays the source of truth: the in-memory queue is
 * bounded (`queueLimit`), holds only rows this process has leased, and whatever it loses in a crash
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
  let lastRecoveryMs = Number.NEGATIVE_INFINITY;
  let lastRenewalMs = Number.NEGATIVE_INFINITY;
  let lastSyncMs = Number.NEGATIVE_INFINITY;
  let backlog = false;
  let msPerEvent = 0; // moving average of the time an event's handlers take (not commits or pool waits)
  let schedulePending = false;
  const stray: Promise<unknown>[] = [];
  const recoveryEveryMs = Math.min(15_000, Math.max(250, processing.leaseMs / 4));

  const batchDeps = {
    ...deps,
    onHandlersFinished: (ms: number) => {
      msPerEvent = msPerEvent * 0.9 + ms * 0.1;
    },
  };
  const depth = () => waiting.size + runningEvents.size + reserved;
  const free = () => Math.max(0, processing.queueLimit - depth());

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
    if (batch.some((event) => event.order) || (backlog && free() >= Math.min(processing.claimBatchSize, processing.queueLimit) / 2)) poller.wake();
  }

  /**
   * The lease is a heartbeat: while this process lives it keeps extending the leases of everything
   * it holds, however long events wait in memory or a batch runs, so only the rows of a process that
   * died (or froze) expire. Rows found taken meanwhile are dropped from the waiting queue.
   */
  async function renewHeldLeases(): Promise<void> {
    const soon = deps.dbClock.now() + processing.leaseMs / 2;
    const due = [...waiting.values(), ...runningEvents.values()].filter((event) => event.lockedUntilMs < soon);
    if (due.length === 0) return;
    const until = deps.dbClock.now() + processing.leaseMs;
    const held = await renewLeases(knex, due, until);
    for (const event of due) {
      if (held.has(event.outboxId)) event.lockedUntilMs = until;
      else if (waiting.delete(event.outboxId)) logger.warn({ outboxId: event.outboxId }, 'a queued event was taken by another claim; dropped');
    }
  }

  async function poll(): Promise<boolean> {
    const now = deps.dbClock.now();
    if (deps.clock.now() - lastSyncMs >= CLOCK_SYNC_MS) {
      await deps.dbClock.sync();
      lastSyncMs = deps.clock.now();
    }
    if (deps.clock.now() - lastRenewalMs >= recoveryEveryMs) {
      await renewHeldLeases();
      lastRenewalMs = deps.clock.now();
    }
    if (deps.clock.now() - lastRecoveryMs >= recoveryEveryMs) {
      const recovered = await recoverExpiredLeases(knex, { nowMs: deps.dbClock.now(), maxAttempts: processing.maxAttempts });
      lastRecoveryMs = deps.clock.now();
      if (recovered.pending + recovered.dead > 0) logger.warn(recovered, 'took back events whose lease expired');
    }
    const limit = Math.min(free(), processing.claimBatchSize);
    if (limit === 0 || !accepting) {
      backlog = true;
      return false;
    }
    const claimed = await claimDue(knex, deps.dialect, { lockedBy: deps.instanceId, nowMs: now, leaseMs: processing.leaseMs, limit });
    for (const event of claimed) enqueue(event);
    backlog = claimed.length === limit;
    return backlog && free() > 0;
  }

  const poller = createPoller({ poll, minIntervalMs: processing.pollIntervalMs, maxIntervalMs: processing.maxPollIntervalMs, logger });

  const fastPath: FastPath = {
    reserve(count) {
      if (!accepting) return [];
      const granted = Math.min(count, free());
      reserved += granted;
      const claim = { lockedBy: deps.instanceId, lockedUntilMs: deps.dbClock.now() + processing.leaseMs };
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
      stray.push(releaseClaims(knex, [event], { started: false, nowMs: deps.dbClock.now() }).catch(() => undefined));
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
      lastSyncMs = deps.clock.now();
      stopController = new AbortController();
      accepting = true;
      lastRecoveryMs = Number.NEGATIVE_INFINITY; // recover at once: leftovers of a crash
      poller.start();
    },
    /**
     * Stops claiming, gives back what has not started, waits up to `timeoutMs` for running handlers,
     * then aborts the rest and gives them back too. Resolves when nothing of this process holds a
     * live lease (unless the database is unreachable, in which case the leases simply expire).
     */
    async stop(timeoutMs = processing.stopTimeoutMs): Promise<void> {
      accepting = false;
      await poller.stop();
      // Commits already holding reserved claims hand their events over (and, now, get them released)
      // within one commit's time; wait for them so nothing of ours is leased after stop() returns.
      // (Counted in real 5 ms steps, not on the injectable clock, which a test may have frozen.)
      for (let waited = 0; reserved > 0 && waited < Math.min(timeoutMs, 5000); waited += 5) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const notStarted = [...waiting.values()];
      waiting.clear();
      queue.clear();
      scheduled = 0;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        queue.onIdle().then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        logger.warn({ running: queue.pending }, 'handlers still running at stop timeout; aborting and releasing them');
        stopController.abort();
        await queue.onIdle();
      }
      // Only now: on SQLite a running handler's transaction holds the one connection.
      await releaseClaims(knex, notStarted, { started: false, nowMs: deps.dbClock.now() }).catch((error: unknown) =>
        logger.error({ err: error, events: notStarted.length }, 'could not release queued events at stop; they are retried when their lease expires'),
      );
      await Promise.all(stray.splice(0));
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
