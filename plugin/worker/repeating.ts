import { loggableError } from '../observe/loggable-error.js';
import type { Logger } from '../types.js';

export interface RepeatingOptions {
  /** What runs; a run never overlaps the previous one. */
  run(): Promise<void>;
  everyMs: number;
  logger: Logger;
  /** Logged (once per outage, then every 30 failures) when a run fails. */
  failure: string;
  /** True when failures are expected and not worth a line (the host closed the pool). */
  quiet?: () => boolean;
}

/**
 * Runs a job on its own fixed timer. Unlike the poller it does not back off when the database
 * fails: the claim heartbeat must keep its pace, or a living process's claims expire under it.
 */
export function createRepeating(options: RepeatingOptions) {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let current: Promise<void> | null = null;
  let failures = 0;

  function schedule(ms: number): void {
    clearTimeout(timer);
    if (running) timer = setTimeout(tick, ms);
  }

  function tick(): void {
    if (!running || current) return;
    current = (async () => {
      try {
        await options.run();
        if (failures > 0) options.logger.info({ failures }, `${options.failure}: works again`);
        failures = 0;
      } catch (error) {
        if (options.quiet?.()) return;
        failures += 1;
        if (failures === 1 || failures % 30 === 0) options.logger.error({ err: loggableError(error), failures }, options.failure);
      } finally {
        current = null;
        schedule(options.everyMs);
      }
    })();
  }

  return {
    /** Starts the timer; the first run comes at once when `now`, else after one interval. */
    start(now: boolean): void {
      if (running) return;
      running = true;
      schedule(now ? 0 : options.everyMs);
    },
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      await current;
    },
  };
}
