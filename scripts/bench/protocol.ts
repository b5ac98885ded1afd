/**
 * The IPC conversation between the bench (parent, load generator) and the server under test (a
 * forked child, so that its CPU, event loop and memory are its own and can be measured apart from
 * the load generator's). The parent sends numbered requests; the child answers each once.
 */

export type VariantName = 'ceiling' | 'naive' | 'bullmq' | 'plugin';
export const VARIANT_NAMES: readonly VariantName[] = ['ceiling', 'naive', 'bullmq', 'plugin'];

/** What the child counts of its own processing (only the plugin variant runs handlers). */
export interface VariantCounters {
  /** Epoch ms (fractional) at which the child began starting its server. */
  startedAtMs: number;
  /** Handler calls so far. */
  handled: number;
  firstHandledAtMs: number | null;
  lastHandledAtMs: number | null;
}

export interface ChildStats {
  pid: number;
  /** process.cpuUsage() of the child, cumulative. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** performance.eventLoopUtilization() of the child, cumulative. */
  eluIdleMs: number;
  eluActiveMs: number;
  rssBytes: number;
  /** Highest RSS the child saw polling itself since start or the last reset-peak (fallback off Linux). */
  peakRssPolledBytes: number;
  counters: VariantCounters;
}

/** Events the plugin child saw reach its handler while tracking, with when (epoch ms, fractional). */
export interface TrackedEvents {
  arrived: number;
  handled: number;
  /** arrivedAtMs: the host's HTTP 'request' event for it (headers parsed); null if not seen. */
  events: Array<{ id: string; arrivedAtMs: number | null; handledAtMs: number }>;
}

/** Each operation and what its answer carries. */
export interface Replies {
  stats: ChildStats;
  'reset-peak': null;
  'track-start': null;
  'track-collect': TrackedEvents;
  stop: null;
}
export type Op = keyof Replies;

export interface ParentMessage {
  seq: number;
  op: Op;
}

export type ChildMessage =
  | { kind: 'ready'; port: number }
  | { kind: 'reply'; seq: number; ok: true; value: unknown }
  | { kind: 'reply'; seq: number; ok: false; error: string };
