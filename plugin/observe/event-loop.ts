import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

/**
 * The plugin runs on the CRM's own event loop. When that loop falls behind (a partner's storm, or
 * the CRM itself being busy), every request of the host waits, the CRM's pages included. The guard
 * measures the loop's delay and says when the plugin should step aside: refuse new webhooks (503,
 * partners retry later) and claim no new work, until the loop keeps up again.
 */
export interface EventLoopGuard {
  /** Delay of the last completed window in ms (0 before the first one ends). */
  delayMs(): number;
  /** True while the last window's delay exceeded the threshold; always false when the guard is off. */
  busy(): boolean;
  /** The threshold in ms, or null when shedding is off (the delay is still measured). */
  readonly maxDelayMs: number | null;
  /** Stops measuring; the next busy() or delayMs() starts again. */
  stop(): void;
}

export interface EventLoopGuardOptions {
  /** Past this delay the loop counts as busy; 0 turns shedding off. */
  maxDelayMs: number;
  /** Length of one measuring window. */
  windowMs?: number;
  /** Sampling interval of the delay histogram. */
  resolutionMs?: number;
  /** Told when the loop turns busy (true) and when it keeps up again (false), once per episode. */
  onChange?(busy: boolean, delayMs: number): void;
  /** Injected for tests; default perf_hooks.monitorEventLoopDelay. */
  monitor?: (options: { resolution: number }) => IntervalHistogram;
  now?: () => number;
}

const DEFAULT_WINDOW_MS = 100;
const DEFAULT_RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

/**
 * Two measures per window, the larger wins: the histogram's p99 (it samples every `resolutionMs`,
 * and its values include that interval, so it is subtracted) catches a loop that is saturated by
 * many short tasks; the lateness of the window's own timer catches one long block, which the
 * histogram may record only partly. Timers are unref'd and start on first use, so a plugin that
 * serves nothing measures nothing and never holds the process open.
 */
export function createEventLoopGuard(options: EventLoopGuardOptions): EventLoopGuard {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const resolutionMs = options.resolutionMs ?? DEFAULT_RESOLUTION_MS;
  const monitor = options.monitor ?? monitorEventLoopDelay;
  const now = options.now ?? (() => performance.now());
  const maxDelayMs = options.maxDelayMs > 0 ? options.maxDelayMs : null;
  let histogram: IntervalHistogram | null = null;
  let timer: NodeJS.Timeout | null = null;
  let dueAt = 0;
  let lastDelayMs = 0;
  let wasBusy = false;

  function closeWindow(): void {
    const lateMs = Math.max(0, now() - dueAt);
    const sampledMs = histogram && histogram.count > 0 ? Math.max(0, histogram.percentile(99) / NS_PER_MS - resolutionMs) : 0;
    lastDelayMs = Math.max(lateMs, sampledMs);
    const busyNow = maxDelayMs !== null && lastDelayMs > maxDelayMs;
    if (busyNow !== wasBusy) {
      wasBusy = busyNow;
      options.onChange?.(busyNow, lastDelayMs);
    }
    histogram?.reset();
    dueAt = now() + windowMs;
  }

  function arm(): void {
    if (timer) return;
    histogram = monitor({ resolution: resolutionMs });
    histogram.enable();
    dueAt = now() + windowMs;
    timer = setInterval(closeWindow, windowMs);
    timer.unref();
  }

  return {
    maxDelayMs,
    delayMs() {
      arm();
      return lastDelayMs;
    },
    busy() {
      if (maxDelayMs === null) return false;
      arm();
      return lastDelayMs > maxDelayMs;
    },
    stop() {
      if (timer) clearInterval(timer);
      histogram?.disable();
      timer = null;
      histogram = null;
      lastDelayMs = 0;
      wasBusy = false;
    },
  };
}
