import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { BenchContext } from '../context.js';
import { readDatabaseCounters } from '../db.js';
import type { ChildStats } from '../protocol.js';
import type { ServerHandle } from '../server-handle.js';
import { machineCpuSeconds, processCpuSeconds, readPeakRss, resetPeakRss } from '../system.js';

/**
 * CPU used during a window, in % of one core (100 = one core busy the whole time), per process:
 * on a small machine the load generator, the server child and the database share the cores, and
 * these say which of them ran out.
 */
export interface CpuFigures {
  wallSeconds: number;
  loadGeneratorPct: number;
  serverPct: number;
  /**
   * Share of the window the server child's event loop was busy (100 = saturated). Wall-clock based:
   * time the child spent runnable but waiting for a core counts as busy, so read it with otherPct.
   */
  serverEventLoopPct: number;
  databasePct: number | null;
  /** All processes, all cores (max = cores × 100). */
  machineBusyPct: number | null;
  /**
   * Machine busy minus the three above: other processes (and the kernel) competing for the same
   * cores. Large values mean the figures were disturbed by something outside the bench.
   */
  otherPct: number | null;
  machineCores: number;
}

export interface WindowFigures {
  cpu: CpuFigures;
  /** Increase of the database server's status counters (Questions, Com_commit, ...); null on SQLite. */
  databaseCounters: Record<string, number> | null;
  /** Peak RSS of the server child during the window. */
  peakRssBytes: number | null;
}

interface Snapshot {
  atMs: number;
  parent: NodeJS.CpuUsage;
  child: ChildStats;
  databaseSeconds: number | null;
  machine: { busy: number; total: number } | null;
}

async function snapshot(server: ServerHandle, databasePid: number | null): Promise<Snapshot> {
  const child = await server.call('stats');
  return {
    atMs: performance.now(),
    parent: process.cpuUsage(),
    child,
    databaseSeconds: databasePid === null ? null : processCpuSeconds(databasePid),
    machine: machineCpuSeconds(),
  };
}

function cpuBetween(a: Snapshot, b: Snapshot, cores: number): CpuFigures {
  const wall = (b.atMs - a.atMs) / 1000;
  const pct = (seconds: number) => (wall > 0 ? (100 * seconds) / wall : 0);
  const parentSeconds = (b.parent.user + b.parent.system - a.parent.user - a.parent.system) / 1e6;
  const childSeconds = (b.child.cpuUserMicros + b.child.cpuSystemMicros - a.child.cpuUserMicros - a.child.cpuSystemMicros) / 1e6;
  const activeMs = b.child.eluActiveMs - a.child.eluActiveMs;
  const idleMs = b.child.eluIdleMs - a.child.eluIdleMs;
  const machine = a.machine && b.machine && b.machine.total > a.machine.total
    ? (100 * cores * (b.machine.busy - a.machine.busy)) / (b.machine.total - a.machine.total)
    : null;
  const databasePct = a.databaseSeconds === null || b.databaseSeconds === null ? null : pct(b.databaseSeconds - a.databaseSeconds);
  return {
    wallSeconds: wall,
    loadGeneratorPct: pct(parentSeconds),
    serverPct: pct(childSeconds),
    serverEventLoopPct: activeMs + idleMs > 0 ? (100 * activeMs) / (activeMs + idleMs) : 0,
    databasePct,
    machineBusyPct: machine,
    otherPct: machine === null ? null : Math.max(0, machine - pct(parentSeconds) - pct(childSeconds) - (databasePct ?? 0)),
    machineCores: cores,
  };
}

/**
 * Peak RSS of one server child: per window via VmHWM, reset at each window's start
 * (/proc/<pid>/clear_refs), and over the child's whole life (`lifetimePeak`, warm-ups and drains
 * included). Where /proc is not writable it falls back to the child polling its own RSS.
 */
export function createPeakRss(server: ServerHandle) {
  const kernel = readPeakRss(server.pid) !== null && resetPeakRss(server.pid);
  let lifetimePeak = 0;
  const current = async () => (kernel ? readPeakRss(server.pid) : null) ?? (await server.call('stats')).peakRssPolledBytes;
  return {
    source: kernel ? ('VmHWM' as const) : ('polled every 100 ms' as const),
    async startWindow(): Promise<void> {
      lifetimePeak = Math.max(lifetimePeak, await current());
      if (kernel) resetPeakRss(server.pid);
      await server.call('reset-peak');
    },
    async read(): Promise<number> {
      const peak = await current();
      lifetimePeak = Math.max(lifetimePeak, peak);
      return peak;
    },
    get lifetimePeak() {
      return lifetimePeak;
    },
  };
}

export type PeakRss = ReturnType<typeof createPeakRss>;

/** Starts measuring CPU, database counters and peak RSS; `close()` returns the figures for the time in between. */
export async function openWindow(
  ctx: Pick<BenchContext, 'db' | 'databasePid'>,
  server: ServerHandle,
  rss: PeakRss,
): Promise<{ close(): Promise<WindowFigures> }> {
  const cores = availableParallelism();
  const counters = () => readDatabaseCounters(ctx.db.knex, ctx.db.dialect);
  await rss.startWindow();
  const countersBefore = await counters();
  const start = await snapshot(server, ctx.databasePid);
  return {
    async close() {
      const end = await snapshot(server, ctx.databasePid);
      const countersAfter = await counters();
      const databaseCounters =
        countersBefore && countersAfter
          ? Object.fromEntries(Object.entries(countersAfter).map(([name, value]) => [name, value - (countersBefore[name] ?? 0)]))
          : null;
      return { cpu: cpuBetween(start, end, cores), databaseCounters, peakRssBytes: await rss.read() };
    },
  };
}
