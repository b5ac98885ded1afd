import type { BenchContext } from '../context.js';
import { countDone, fillBacklog, truncateEvents } from '../db.js';
import { openWindow, type WindowFigures } from './window.js';
import { withServer } from './with-server.js';

export interface DrainPhase {
  rows: number;
  fillSeconds: number;
  /** Host start (the child beginning startDemoHost) to the last handler call, in seconds. */
  drainSeconds: number | null;
  rowsPerSecond: number | null;
  /** Host start to the first handler call: recovery and the first claim. */
  firstEventAfterSeconds: number | null;
  handled: number;
  doneRows: number;
  window: WindowFigures;
  peakRssBytes: number;
}

const POLL_MS = 250;
const PROGRESS_EVERY_MS = 5000;
const CONFIRM_TIMEOUT_MS = 30_000;

/**
 * A restart with a backlog: `backlogRows` pending events are written straight into the outbox
 * (as a host that crashed, or was down while partners kept sending, would leave them), then a
 * fresh host starts with a no-op handler and the time until every row is done is measured.
 */
export async function runDrainPhase(ctx: BenchContext): Promise<DrainPhase> {
  const rows = ctx.options.backlogRows;
  await truncateEvents(ctx.db.knex);
  ctx.log(`drain: filling a backlog of ${rows} pending events`);
  let nextReport = Date.now() + PROGRESS_EVERY_MS;
  const fillSeconds = await fillBacklog(ctx.db.knex, rows, ctx.requests.body, (done) => {
    if (Date.now() < nextReport) return;
    nextReport = Date.now() + PROGRESS_EVERY_MS;
    ctx.log(`drain: filled ${done} of ${rows}`);
  });
  ctx.log(`drain: filled in ${fillSeconds.toFixed(1)} s; starting a host to drain it`);

  const timeoutMs = Math.max(300_000, rows * 20); // at least 50 rows/s, or it is a failure anyway
  const { value, lifetimePeakRssBytes } = await withServer(ctx, 'plugin', 'drain', async (server, rss) => {
    const window = await openWindow(ctx, server, rss);
    const started = Date.now();
    let report = started + PROGRESS_EVERY_MS;
    let stats = await server.call('stats');
    while (stats.counters.handled < rows && Date.now() - started < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      stats = await server.call('stats');
      if (Date.now() >= report) {
        report += PROGRESS_EVERY_MS;
        ctx.log(`drain: ${stats.counters.handled} of ${rows} handled`);
      }
    }
    const figures = await window.close();
    // The last handler call precedes its row's commit by a round trip: wait for the rows to say done.
    let doneRows = await countDone(ctx.db.knex);
    for (const until = Date.now() + CONFIRM_TIMEOUT_MS; doneRows < rows && Date.now() < until; doneRows = await countDone(ctx.db.knex)) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return { counters: stats.counters, doneRows, figures };
  });

  const { counters, doneRows, figures } = value;
  const finished = counters.handled >= rows && counters.lastHandledAtMs !== null;
  const drainSeconds = finished ? (counters.lastHandledAtMs! - counters.startedAtMs) / 1000 : null;
  if (!finished) ctx.warn(`drain: only ${counters.handled} of ${rows} events were handled within ${timeoutMs / 1000} s`);
  if (doneRows !== rows) ctx.warn(`!!! drain: ${doneRows} outbox rows are done, expected ${rows}`);
  if (counters.handled > rows) ctx.warn(`drain: the handler ran ${counters.handled} times for ${rows} events`);
  await truncateEvents(ctx.db.knex);

  const phase: DrainPhase = {
    rows,
    fillSeconds,
    drainSeconds,
    rowsPerSecond: drainSeconds ? rows / drainSeconds : null,
    firstEventAfterSeconds: counters.firstHandledAtMs === null ? null : (counters.firstHandledAtMs - counters.startedAtMs) / 1000,
    handled: counters.handled,
    doneRows,
    window: figures,
    peakRssBytes: lifetimePeakRssBytes,
  };
  ctx.log(`drain: ${rows} rows in ${drainSeconds?.toFixed(1) ?? '-'} s = ${phase.rowsPerSecond?.toFixed(0) ?? '-'} rows/s`);
  return phase;
}
