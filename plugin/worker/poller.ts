import type { Logger } from '../types.js';
import { loggableError } from '../observe/loggable-error.js';

export interface PollerOptions {
  /** One poll; returns true when it found a full batch (more is probably waiting). */
  poll(): Promise<boolean>;
  minIntervalMs: number;
  maxIntervalMs: number;
  logger: Logger;
  /** True when failures are expected and not worth a line (the host closed the pool). */
  quiet?: () => boolean;
  /**
   * A failure that says nothing about the database's health (a deadlock with a concurrent writer,
   * which InnoDB resolved by rolling this claim back): polled again at once, logged at debug only.
   */
  transient?: (error: unknown) => boolean;
}

/**
 * Calls `poll` in a loop: again at once while it keeps finding full batches, then backing off
 * (doubling) to `maxIntervalMs` while idle or while the database fails, so an idle or broken
 * database is not hammered. `wake()` polls now, for when capacity frees up during a backlog.
 */
export function createPoller(options: PollerOptions) {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let current: Promise<void> | null = null;
  let interval = options.minIntervalMs;
  let failures = 0;
  let wakeAfterPoll = false; // a wake() that came while a poll ran: that poll may have read too early

  function schedule(ms: number): void {
    clearTimeout(timer);
    if (running) timer = setTimeout(tick, ms);
  }

  function tick(): void {
    if (!running || current) return;
    wakeAfterPoll = false;
    current = (async () => {
      try {
        const more = await options.poll();
        if (failures > 0) options.logger.info({ failures }, 'polling the outbox works again');
        failures = 0;
        interval = more ? options.minIntervalMs : Math.min(options.maxIntervalMs, interval * 2);
        schedule(more ? 0 : interval);
      } catch (error) {
        if (options.transient?.(error)) {
          options.logger.debug({ err: loggableError(error) }, 'claiming lost a deadlock; polling again');
          schedule(options.minIntervalMs);
          return;
        }
        if (!options.quiet?.()) failures += 1;
        // One line per outage, then one every 30 failures: a down database must not flood the log.
        if (failures > 0 && (failures === 1 || failures % 30 === 0)) options.logger.error({ err: loggableError(error), failures }, 'polling the outbox failed');
        interval = Math.min(options.maxIntervalMs, interval * 2);
        schedule(interval);
      } finally {
        current = null;
        if (wakeAfterPoll && running) {
          interval = options.minIntervalMs;
          schedule(0);
        }
      }
    })();
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      interval = options.minIntervalMs;
      schedule(0);
    },
    wake(): void {
      if (!running) return;
      if (current) {
        wakeAfterPoll = true;
        return;
      }
      interval = options.minIntervalMs;
      schedule(0);
    },
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      await current;
    },
  };
}

export type Poller = ReturnType<typeof createPoller>;
