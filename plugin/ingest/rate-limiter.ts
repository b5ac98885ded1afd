import type { Clock } from '../types.js';

export interface RateLimit {
  perSecond: number;
  burst: number;
}

/**
 * Retry-After is capped: a tiny perSecond (the setting only requires > 0) gave values like
 * 1000000000 or "1e+300", the latter not even a valid delta-seconds. After a day the client simply
 * asks again.
 */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * Token buckets per partner, in this process's memory: with N processes behind a balancer a partner
 * gets up to N × its rate. Buckets exist only for partners that exist, so the map stays small.
 */
export function createRateLimiter(clock: Clock) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** 0 when the request may pass, else the seconds until a token is free. */
    take(key: string, limit: RateLimit): number {
      const now = clock.now();
      const bucket = buckets.get(key) ?? { tokens: limit.burst, at: now };
      bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)));
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
