import type { Clock } from '../types.js';
import type { AttemptOutcome, Telemetry } from './telemetry.js';

export interface AttemptTotals {
  attempts: number;
  failed: number;
}

const BUCKETS = 60;

/**
 * Counts this process's processing attempts over a sliding window, in 60 buckets so memory stays
 * constant whatever the throughput (the window is exact to 1/60 of its length). `retry` and `dead`
 * are failures; `lease_lost` and `released` are neither: the result was discarded or never reached.
 */
export function createAttemptWindow(clock: Clock, windowMs: number): Telemetry & { totals(): AttemptTotals } {
  const bucketMs = Math.max(1, windowMs / BUCKETS);
  const attempts = new Array<number>(BUCKETS).fill(0);
  const failed = new Array<number>(BUCKETS).fill(0);
  let currentSlot = Math.floor(clock.now() / bucketMs);

  // Clears the buckets the clock has moved past since the last call.
  function advance(): number {
    const slot = Math.floor(clock.now() / bucketMs);
    for (let s = currentSlot + 1; s <= slot && s <= currentSlot + BUCKETS; s += 1) {
      attempts[s % BUCKETS] = 0;
      failed[s % BUCKETS] = 0;
    }
    currentSlot = Math.max(currentSlot, slot);
    return currentSlot % BUCKETS;
  }

  return {
    request: () => undefined,
    attempt(_partner: string, outcome: AttemptOutcome) {
      if (outcome === 'lease_lost' || outcome === 'released') return;
      const index = advance();
      attempts[index]! += 1;
      if (outcome === 'retry' || outcome === 'dead') failed[index]! += 1;
    },
    totals() {
      advance();
      return { attempts: attempts.reduce((a, b) => a + b, 0), failed: failed.reduce((a, b) => a + b, 0) };
    },
  };
}
