/** Latency figures in milliseconds; null fields when there were no samples. */
export interface LatencySummary {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * Exact percentiles (nearest rank) over every sample, not a histogram's buckets: autocannon's own
 * histogram has 1 ms resolution, too coarse for sub-millisecond acks at low concurrency.
 */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const count = sorted.length;
  if (count === 0) return { count, mean: null, p50: null, p90: null, p99: null, max: null };
  const rank = (p: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1))]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count, mean: sum / count, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[count - 1]! };
}

/** A growable array of float samples (a plain number[] of a million entries costs far more memory). */
export function createSamples(initialCapacity = 65_536): { add(value: number): void; values(): Float64Array } {
  let buffer = new Float64Array(initialCapacity);
  let length = 0;
  return {
    add(value) {
      if (length === buffer.length) {
        const grown = new Float64Array(buffer.length * 2);
        grown.set(buffer);
        buffer = grown;
      }
      buffer[length++] = value;
    },
    values: () => buffer.subarray(0, length),
  };
}
