import type { Clock } from '../../plugin/types.js';

/**
 * A clock that moves only when told to, started at the real time (hmac-sha256 signs no timestamp,
 * so no tolerance is involved). Rate-limit refills and the partner directory's refresh window are
 * moved by `advance`, not by sleeping.
 */
export function manualClock(startMs = Date.now()): Clock & { advance(ms: number): void } {
  let now = startMs;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}
