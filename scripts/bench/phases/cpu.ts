import type { BenchContext } from '../context.js';
import { checkCommitted, truncateEvents, waitForDrain, type CommitCheck } from '../db.js';
import { runClosedLoop, type LoadSummary } from '../load.js';
import { createRequestSource } from '../requests.js';
import { RECEIVE_PATH } from '../tables.js';
import { reportProblems } from './step.js';
import { openWindow, type WindowFigures } from './window.js';
import { withServer } from './with-server.js';

export interface CpuPhase {
  connections: number;
  load: LoadSummary;
  /** Server CPU (user + system) from the load's start until every accepted event was processed. */
  serverCpuSeconds: number;
  /** The portable figure: host CPU per event accepted *and* processed, in microseconds. */
  cpuMicrosPerEvent: number | null;
  /** Seconds processing needed after the load stopped. */
  drainAfterSeconds: number | null;
  window: WindowFigures;
  commits: CommitCheck;
  peakRssBytes: number;
}

const DRAIN_TIMEOUT_MS = 300_000;
/**
 * Measured as before issue 15, which had no event-loop guard: on a busy machine the guard would
 * answer some requests 503, and the figure would then mix refusals into the cost of an event.
 */
const YIELD_OFF = { receive: { maxEventLoopDelayMs: 0 } };
const PREBUILT_RATE = 6000;

/**
 * What one event costs the host: CPU seconds of the plugin's process over a closed-loop run at the
 * target connection count *and* the processing that follows, divided by the events accepted. The
 * window closes only once every accepted event is done, so ingest and processing are both in it,
 * and the figure does not depend on how busy the rest of the machine was (CPU time, not wall time).
 */
export async function runCpuPhase(ctx: BenchContext): Promise<CpuPhase> {
  const connections = ctx.options.targetConnections;
  const { value, lifetimePeakRssBytes } = await withServer(ctx, 'plugin', 'cpu', async (server, rss) => {
    const url = server.url(RECEIVE_PATH);
    await truncateEvents(ctx.db.knex);
    if (ctx.options.warmupSeconds > 0) {
      await runClosedLoop({ url, connections, durationSeconds: ctx.options.warmupSeconds, source: createRequestSource(ctx.requests, 0) });
    }
    await waitForDrain(ctx.db.knex, DRAIN_TIMEOUT_MS);
    const source = createRequestSource(ctx.requests, PREBUILT_RATE * ctx.options.durationSeconds);
    const window = await openWindow(ctx, server, rss);
    const before = await server.call('stats');
    const run = await runClosedLoop({ url, connections, durationSeconds: ctx.options.durationSeconds, source });
    const drainAfterSeconds = await waitForDrain(ctx.db.knex, DRAIN_TIMEOUT_MS);
    const after = await server.call('stats');
    const figures = await window.close();
    const commits = await checkCommitted(ctx.db.knex, run.acceptedIds);
    reportProblems(ctx, 'cpu', run.summary, commits);
    const serverCpuSeconds = (after.cpuUserMicros + after.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros) / 1e6;
    return { load: run.summary, serverCpuSeconds, drainAfterSeconds, window: figures, commits };
  }, YIELD_OFF);
  const accepted = value.load.accepted;
  const phase: CpuPhase = {
    connections,
    ...value,
    cpuMicrosPerEvent: accepted > 0 && value.drainAfterSeconds !== null ? (1e6 * value.serverCpuSeconds) / accepted : null,
    peakRssBytes: lifetimePeakRssBytes,
  };
  ctx.log(`cpu: ${accepted} events accepted and processed with ${phase.serverCpuSeconds.toFixed(2)} s of server CPU = ${phase.cpuMicrosPerEvent?.toFixed(0) ?? '-'} µs/event`);
  return phase;
}
