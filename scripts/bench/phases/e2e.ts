import type { BenchContext } from '../context.js';
import { checkCommitted, outboxLatencies, truncateEvents, waitForDrain, type CommitCheck } from '../db.js';
import { runPaced, type LoadSummary } from '../load.js';
import { createRequestSource } from '../requests.js';
import { summarize, type LatencySummary } from '../stats.js';
import { RECEIVE_PATH } from '../tables.js';
import { reportProblems } from './step.js';
import type { WindowFigures } from './window.js';
import { openWindow } from './window.js';
import { withServer } from './with-server.js';

export interface E2ePhase {
  ratePerSecond: number;
  load: LoadSummary;
  /**
   * The load generator writing the request to the no-op handler being called: the partner's view,
   * comparable with the ack (same start). Two processes on one machine share its clock.
   */
  sentToHandlerMs: LatencySummary;
  /** The host's HTTP 'request' event to the handler call, on the server child's clock (excludes queueing before Node reads the request). */
  arrivalToHandlerMs: LatencySummary;
  /** received_at to processed_at of the same events' outbox rows (database clock, ms precision). */
  receivedToProcessedMs: LatencySummary;
  /** Events seen arriving and reaching the handler while tracked. */
  tracked: { arrived: number; handled: number };
  window: WindowFigures;
  commits: CommitCheck;
  peakRssBytes: number;
}

const DRAIN_TIMEOUT_MS = 60_000;

/**
 * The plugin at a steady, modest rate (open loop, evenly spaced): how long an event takes from the
 * partner's request to the handler, next to how long the partner waits for its 202 at that rate.
 */
export async function runE2ePhase(ctx: BenchContext): Promise<E2ePhase> {
  const rate = ctx.options.e2eRatePerSecond;
  const { value, lifetimePeakRssBytes } = await withServer(ctx, 'plugin', 'e2e', async (server, rss) => {
    const url = server.url(RECEIVE_PATH);
    await truncateEvents(ctx.db.knex);
    ctx.log(`e2e: warm-up ${ctx.options.warmupSeconds} s, then ${ctx.options.durationSeconds} s at ${rate} events/s`);
    if (ctx.options.warmupSeconds > 0) {
      await runPaced({ url, ratePerSecond: rate, durationSeconds: ctx.options.warmupSeconds, source: createRequestSource(ctx.requests, 0) });
    }
    await waitForDrain(ctx.db.knex, DRAIN_TIMEOUT_MS);

    const source = createRequestSource(ctx.requests, Math.ceil(rate * ctx.options.durationSeconds) + 10);
    await server.call('track-start');
    const window = await openWindow(ctx, server, rss);
    const run = await runPaced({ url, ratePerSecond: rate, durationSeconds: ctx.options.durationSeconds, source });
    const figures = await window.close();
    if ((await waitForDrain(ctx.db.knex, DRAIN_TIMEOUT_MS)) === null) ctx.warn(`e2e: events were still unprocessed ${DRAIN_TIMEOUT_MS / 1000} s after the run`);
    const tracked = await server.call('track-collect');
    const commits = await checkCommitted(ctx.db.knex, run.acceptedIds);
    reportProblems(ctx, 'e2e', run.summary, commits);
    if (tracked.events.length < run.acceptedIds.length) {
      ctx.warn(`e2e: only ${tracked.events.length} of ${run.acceptedIds.length} accepted events were seen reaching the handler`);
    }
    const sentToHandler: number[] = [];
    const arrivalToHandler: number[] = [];
    for (const event of tracked.events) {
      const sentAt = run.sentAtMs?.get(event.id);
      if (sentAt !== undefined) sentToHandler.push(event.handledAtMs - sentAt);
      if (event.arrivedAtMs !== null) arrivalToHandler.push(event.handledAtMs - event.arrivedAtMs);
    }
    const phase: Omit<E2ePhase, 'peakRssBytes'> = {
      ratePerSecond: rate,
      load: run.summary,
      sentToHandlerMs: summarize(sentToHandler),
      arrivalToHandlerMs: summarize(arrivalToHandler),
      receivedToProcessedMs: summarize(await outboxLatencies(ctx.db.knex, ctx.db.dialect, run.acceptedIds)),
      tracked: { arrived: tracked.arrived, handled: tracked.handled },
      window: figures,
      commits,
    };
    ctx.log(
      `e2e: ack p50 ${phase.load.ackMs.p50?.toFixed(2)} ms, sent→handler p50 ${phase.sentToHandlerMs.p50?.toFixed(2)} ms, p99 ${phase.sentToHandlerMs.p99?.toFixed(2)} ms`,
    );
    return phase;
  });
  return { ...value, peakRssBytes: lifetimePeakRssBytes };
}
