import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TrackedEvents, VariantCounters } from '../protocol.js';

export interface VariantOptions {
  /** DATABASE_URL of the bench database (unused by the ceiling). */
  databaseUrl: string;
  /** Epoch ms at which the child began starting this variant. */
  startedAtMs: number;
}

/** One server under test, running inside the bench's child process. */
export interface VariantServer {
  port: number;
  counters(): VariantCounters;
  /** Arrival-to-handler tracking for the end-to-end phase; null where nothing runs handlers. */
  readonly tracking: Tracking | null;
  close(): Promise<void>;
}

export interface Tracking {
  start(): void;
  collect(): TrackedEvents;
}

/** Wall-clock epoch ms with sub-ms resolution (Date.now() has only ms). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Counters for variants that run no handlers: always zero. */
export function idleCounters(startedAtMs: number): () => VariantCounters {
  return () => ({ startedAtMs, handled: 0, firstHandledAtMs: null, lastHandledAtMs: null });
}

/** Listens on an ephemeral loopback port: the load generator runs on the same machine. */
export async function listen(handler: RequestListener): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

export async function closeServer(server: Server): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}
