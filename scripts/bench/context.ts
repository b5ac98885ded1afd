import type { BenchDatabase } from './db.js';
import type { VariantName } from './protocol.js';
import type { BenchRequest } from './requests.js';
import type { ServerHandle } from './server-handle.js';

export type PhaseName = 'ceiling' | 'naive' | 'bullmq' | 'plugin' | 'cpu' | 'storm' | 'processes' | 'e2e' | 'drain' | 'dedupe1m' | 'schemes';
export const PHASE_NAMES: readonly PhaseName[] = ['ceiling', 'naive', 'bullmq', 'plugin', 'cpu', 'storm', 'processes', 'e2e', 'drain', 'dedupe1m', 'schemes'];
/** The receivers measured side by side, interleaved per connection count. */
export const RECEIVER_PHASES = ['ceiling', 'naive', 'bullmq', 'plugin'] as const;

export interface BenchOptions {
  databaseUrl: string;
  out: string;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number[];
  quick: boolean;
  phases: PhaseName[];
  /** The connection count the targets compare at. */
  targetConnections: number;
  e2eRatePerSecond: number;
  backlogRows: number;
  dedupeRows: number;
  /** Directory for --cpu-prof profiles of the plugin's server children, or null. */
  cpuProfDir: string | null;
  /** CPU µs per accepted-and-processed event before issue 15's work, the cpu target's reference. */
  cpuBaselineMicros: number;
  /** dist directory of a build of the code before issue 10, for the schemes phase's comparison; or null. */
  schemesBaseline: string | null;
  schemesRounds: number;
}

/** Everything a phase needs, passed in (no module state): options, database, request factory, output. */
export interface BenchContext {
  options: BenchOptions;
  db: BenchDatabase;
  requests: { make(): BenchRequest; body(id: string): string };
  /** The local database server's pid, for its CPU figures; null when remote or SQLite. */
  databasePid: number | null;
  log(message: string): void;
  /** Something the reader of the figures must know (mismatches, errors, exhausted request pools). */
  warn(message: string): void;
  /**
   * Forks a server child; `profileName` names its CPU profile when --cpu-prof is on;
   * `pluginSettings` are plugin options for the plugin variant (e.g. the yield switched off).
   */
  startServer(variant: VariantName, profileName?: string, pluginSettings?: object): Promise<ServerHandle>;
}
