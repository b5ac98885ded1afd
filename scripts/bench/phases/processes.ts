import type { BenchContext } from '../context.js';
import { checkCommitted, countDone, fillBacklog, truncateEvents, waitForDrain, type CommitCheck } from '../db.js';
import { runClosedLoop, type LoadSummary } from '../load.js';
import { createRequestSource } from '../requests.js';
import type { ServerHandle } from '../server-handle.js';
import { RECEIVE_PATH } from '../tables.js';
import { reportProblems } from './step.js';

export interface ProcessesRun {
  processes: number;
  /** Closed loop at the target connection count, connections dealt round-robin over the processes. */
  load: LoadSummary;
  commits: CommitCheck;
  /** A backlog written while no process ran, drained by all of them: first host start to last row done. */
  drainRows: number;
  drainSeconds: number | null;
  drainRowsPerSecond: number | null;
  /** Server CPU of all processes during the ingest run, in % of one core. */
  serverCpuPct: number;
}

export interface ProcessesPhase {
  connections: number;
  runs: ProcessesRun[];
}

const COUNTS = [1, 2, 3];
const DRAIN_TIMEOUT_MS = 300_000;
const POLL_MS = 100;

/**
 * N CRM processes on one database, as an operator scales out: 1, 2 and 3 plugin processes behind a
 * round-robin on loopback (the load generator deals its connections over their ports, as a
 * round-robin balancer would), measuring acks/s, then the rate at which they drain a backlog
 * together (every process polls and claims with SKIP LOCKED).
 */
export async function runProcessesPhase(ctx: BenchContext): Promise<ProcessesPhase> {
  const connections = ctx.options.targetConnections;
  const drainRows = Math.min(ctx.options.backlogRows, ctx.options.quick ? 10_000 : 30_000);
  const runs: ProcessesRun[] = [];
  for (const count of COUNTS) {
    await truncateEvents(ctx.db.knex);
    const servers: ServerHandle[] = [];
    try {
      // Capacity with the yield off, as in the receivers' phases (the closed loop ignores Retry-After).
      for (let i = 0; i < count; i += 1) servers.push(await ctx.startServer('plugin', `processes-${count}-${i}`, { receive: { maxEventLoopDelayMs: 0 } }));
      const urls = servers.map((s) => s.url(RECEIVE_PATH));
      ctx.log(`processes ×${count}: warm-up ${ctx.options.warmupSeconds} s, then ${ctx.options.durationSeconds} s at ${connections} connections`);
      if (ctx.options.warmupSeconds > 0) await runClosedLoop({ url: urls, connections, durationSeconds: ctx.options.warmupSeconds, source: createRequestSource(ctx.requests, 0) });
      await waitForDrain(ctx.db.knex, DRAIN_TIMEOUT_MS);
      const cpuBefore = await Promise.all(servers.map((s) => s.call('stats')));
      const run = await runClosedLoop({ url: urls, connections, durationSeconds: ctx.options.durationSeconds, source: createRequestSource(ctx.requests, 6000 * ctx.options.durationSeconds) });
      const cpuAfter = await Promise.all(servers.map((s) => s.call('stats')));
      await waitForDrain(ctx.db.knex, DRAIN_TIMEOUT_MS);
      const commits = await checkCommitted(ctx.db.knex, run.acceptedIds);
      reportProblems(ctx, `processes ×${count}`, run.summary, commits);
      const cpuSeconds = cpuAfter.reduce((sum, after, i) => sum + (after.cpuUserMicros + after.cpuSystemMicros - cpuBefore[i]!.cpuUserMicros - cpuBefore[i]!.cpuSystemMicros) / 1e6, 0);
      await Promise.all(servers.splice(0).map((s) => s.stop()));

      // The drain: a backlog written while no process runs, then all N start together.
      await truncateEvents(ctx.db.knex);
      await fillBacklog(ctx.db.knex, drainRows, ctx.requests.body, () => undefined);
      const started = await Promise.all(Array.from({ length: count }, (_, i) => ctx.startServer('plugin', `processes-drain-${count}-${i}`)));
      servers.push(...started);
      const startedAtMs = Math.min(...(await Promise.all(servers.map((s) => s.call('stats')))).map((s) => s.counters.startedAtMs));
      let done = await countDone(ctx.db.knex);
      for (const until = Date.now() + DRAIN_TIMEOUT_MS; done < drainRows && Date.now() < until; done = await countDone(ctx.db.knex)) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const stats = await Promise.all(servers.map((s) => s.call('stats')));
      const last = Math.max(...stats.map((s) => s.counters.lastHandledAtMs ?? 0));
      const drainSeconds = done >= drainRows && last > 0 ? (last - startedAtMs) / 1000 : null;
      if (drainSeconds === null) ctx.warn(`processes ×${count}: only ${done} of ${drainRows} backlog rows were done within ${DRAIN_TIMEOUT_MS / 1000} s`);
      const result: ProcessesRun = {
        processes: count,
        load: run.summary,
        commits,
        drainRows,
        drainSeconds,
        drainRowsPerSecond: drainSeconds ? drainRows / drainSeconds : null,
        serverCpuPct: (100 * cpuSeconds) / run.summary.durationSeconds,
      };
      ctx.log(`processes ×${count}: ${Math.round(run.summary.acceptedPerSecond)} acks/s; drained ${drainRows} rows at ${result.drainRowsPerSecond?.toFixed(0) ?? '-'} rows/s`);
      runs.push(result);
    } finally {
      await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
      await truncateEvents(ctx.db.knex);
    }
  }
  return { connections, runs };
}
