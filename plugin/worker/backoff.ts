export interface BackoffSettings {
  initialMs: number;
  factor: number;
  maxMs: number;
  jitter: number;
}

/**
 * Delay before the next attempt after `attempt` attempts failed: exponential, capped, and shortened
 * by up to `jitter` of itself at random, so the retries of a burst that failed together spread out
 * instead of arriving together again.
 */
export function retryDelayMs(attempt: number, settings: BackoffSettings, random: () => number): number {
  const exponential = settings.initialMs * settings.factor ** Math.max(0, attempt - 1);
  const capped = Math.min(settings.maxMs, exponential);
  return Math.round(capped * (1 - settings.jitter * random()));
}
