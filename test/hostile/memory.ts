import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A garbage collector to call before measuring the heap. Tests run without --expose-gc, so the flag
 * is set at run time and `gc` is taken from a fresh context, where V8 installs it once the flag is
 * on. Measuring after a full collection is what makes a small bound on heap growth meaningful.
 */
export function garbageCollector(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  if (typeof gc !== 'function') throw new Error('could not obtain a garbage collector (--expose-gc)');
  return gc as () => void;
}

/** Heap in use after full collections (twice: the first can leave work for finalizers). */
export async function settledHeapUsed(gc: () => void): Promise<number> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return process.memoryUsage().heapUsed;
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
