import type { OutboxAdmin } from '../outbox/outbox-admin.js';
import type { Settings } from '../settings.js';
import type { Clock, Logger } from '../types.js';
import type { Lease } from './prune-lock.js';
import { loggableError } from '../observe/loggable-error.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionDeps {
  prune: OutboxAdmin['prune'];
  lease: Lease;
  settings: Settings['retention'];
  clock: Clock;
  logger: Logger;
  /** True while the host is closing its database: a failed run then is expected, not an error. */
  quiet?: () => boolean;
}

/** How long the retention lease lasts: two intervals, so the holder keeps it from one run to the next. */
export const pruneLockTtlMs = (intervalMs: number) => Math.max(2 * intervalMs, 60_000);

/**
 * Background pruning of done outbox rows and expired dedupe rows, in one process at a time: the
 * process holding the lease keeps it (renewing it every run, and during a long prune) and prunes every
 * `intervalMs`; the others only check whether it expired (its holder died). Dead rows are pruned
 * only when `deadDays` is set; otherwise they wait for a replay or a deliberate `outbox prune`. stop() lets a running prune
 * finish its current batch, then gives the lease back.
 */
export function createRetention(deps: RetentionDeps) {
  const { settings, lease, logger, clock } = deps;
  const ttlMs = pruneLockTtlMs(settings.intervalMs);
  let running = false;
  let holding = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | null = null;
  let controller = new AbortController();

  async function takeLease(): Promise<boolean> {
    const held = await lease.acquire();
    if (held !== holding) logger.info({ pruneLock: 'retention' }, held ? 'this process now runs retention' : 'another process runs retention now');
    holding = held;
    return held;
  }

  async function pruneWhileHolding(): Promise<void> {
    // Renewed on a timer rather than per batch: asking prune for progress would cost a COUNT per table.
    const renewal = setInterval(() => {
      takeLease().then(
        (held) => held || controller.abort(),
        () => undefined, // a failed renewal is retried; the lease lasts two intervals
      );
    }, Math.max(1000, ttlMs / 4));
    const started = clock.now();
    try {
      const result = await deps.prune({
        doneOlderThanMs: settings.doneDays * DAY_MS,
        dedupeOlderThanMs: settings.dedupeDays * DAY_MS,
        deadOlderThanMs: settings.deadDays === undefined ? undefined : settings.deadDays * DAY_MS,
        batchSize: settings.batchSize,
        // One connection of the host's pool, not two: an hourly run deletes an hour's rows in seconds.
        streams: 1,
        signal: controller.signal,
      });
      const fields = { ...result, ms: clock.now() - started };
      if (result.outbox + result.dedupe > 0 || result.interrupted) logger.info(fields, 'retention pruned old rows');
      else logger.debug(fields, 'retention found nothing to prune');
    } finally {
      clearInterval(renewal);
    }
  }

  async function run(): Promise<void> {
    try {
      if (await takeLease()) await pruneWhileHolding();
    } catch (error) {
      if (deps.quiet?.()) logger.info('retention stopped: the host closed its database');
      else logger.error({ err: loggableError(error) }, 'retention failed; it is tried again at the next interval');
    }
  }

  function schedule(ms: number): void {
    if (!running) return;
    timer = setTimeout(() => {
      current = run().finally(() => {
        current = null;
        schedule(settings.intervalMs);
      });
    }, ms);
  }

  return {
    get holding(): boolean {
      return holding;
    },
    start(): void {
      if (running || !settings.enabled) return;
      running = true;
      controller = new AbortController();
      schedule(0);
    },
    async stop(): Promise<void> {
      if (!running) return;
      running = false;
      clearTimeout(timer);
      controller.abort();
      await current;
      if (!holding) return;
      holding = false;
      await lease.release().catch((error: unknown) => logger.warn({ err: loggableError(error) }, 'could not release the retention lease; it expires by itself'));
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;
