import type { BenchContext } from '../context.js';
import { checkCommitted, countUnfinished, truncateEvents, waitForDrain, type CommitCheck } from '../db.js';
import { runClosedLoop, type LoadSummary } from '../load.js';
import { createRequestSource } from '../requests.js';
import { RECEIVE_PATH } from '../tables.js';
import type { ServerHandle } from '../server-handle.js';
import { openWindow, type PeakRss, type WindowFigures } from './window.js';

/** One measurement at one connection count. */
export interface StepResult {
  connections: number;
  warmup: { seconds: number; acceptedPerSecond: number; peakPerSecond: number; non2xx: number };
  /** Requests pre-built (signed) before the measured run. */
  prebuilt: number;
  load: LoadSummary;
  window: WindowFigures;
  /** Every 2xx's committed rows (null where the variant writes none). */
  commits: CommitCheck | null;
  /** Outbox rows not yet done when the load stopped (processing behind ingest), and how long they took. */
  backlogAtEnd: number | null;
  drainAfterSeconds: number | null;
}

export interface StepSpec {
  label: string;
  connections: number;
  /** Empty the event tables first. */
  truncate: boolean;
  /** The variant commits rows: check every 2xx has its rows. */
  verify: boolean;
  /** The variant processes its outbox: let it catch up before measuring and record its lag after. */
  processing: boolean;
}

/** Fallback rate for sizing the pre-built requests when there was no warm-up to measure one. */
const UNKNOWN_RATE = 5000;
const MIN_RATE_ESTIMATE = 2000;
const DRAIN_TIMEOUT_MS = 300_000;

/**
 * Warm-up, then the measured run with pre-built requests, then the checks. The warm-up signs its
 * requests on the spot (it is not measured) and tells how many to pre-build: twice what its
 * busiest second's rate would need, so the measured run almost never has to sign one itself.
 */
export async function closedLoopStep(ctx: BenchContext, server: ServerHandle, rss: PeakRss, spec: StepSpec): Promise<StepResult> {
  const { options } = ctx;
  const url = server.url(RECEIVE_PATH);
  if (spec.truncate) await truncateEvents(ctx.db.knex);

  let warmup = { seconds: 0, acceptedPerSecond: 0, peakPerSecond: 0, non2xx: 0 };
  if (options.warmupSeconds > 0) {
    const run = await runClosedLoop({ url, connections: spec.connections, durationSeconds: options.warmupSeconds, source: createRequestSource(ctx.requests, 0) });
    warmup = {
      seconds: run.summary.durationSeconds,
      acceptedPerSecond: run.summary.acceptedPerSecond,
      peakPerSecond: run.summary.peakPerSecond ?? 0,
      non2xx: run.summary.non2xx,
    };
  }
  // Start from idle processing, so each measurement begins in the same state.
  if (spec.processing && (await waitForDrain(ctx.db.knex, DRAIN_TIMEOUT_MS)) === null) {
    ctx.warn(`${spec.label}: the warm-up's events were still not processed after ${DRAIN_TIMEOUT_MS / 1000} s`);
  }

  // The warm-up starts cold (JIT, pools, buffer pool), so its average underestimates the measured
  // rate: size from its busiest second instead.
  const rate = Math.max(options.warmupSeconds > 0 ? Math.max(warmup.peakPerSecond, warmup.acceptedPerSecond) : UNKNOWN_RATE, MIN_RATE_ESTIMATE);
  const prebuilt = Math.ceil(rate * options.durationSeconds * 2) + 20 * spec.connections + 1000;
  const source = createRequestSource(ctx.requests, prebuilt);

  const window = await openWindow(ctx, server, rss);
  const run = await runClosedLoop({ url, connections: spec.connections, durationSeconds: options.durationSeconds, source });
  const figures = await window.close();

  let backlogAtEnd: number | null = null;
  let drainAfterSeconds: number | null = null;
  if (spec.processing) {
    backlogAtEnd = await countUnfinished(ctx.db.knex);
    drainAfterSeconds = await waitForDrain(ctx.db.knex, DRAIN_TIMEOUT_MS);
    if (drainAfterSeconds === null) ctx.warn(`${spec.label}: ${backlogAtEnd} events accepted under load were not processed within ${DRAIN_TIMEOUT_MS / 1000} s`);
  }
  const commits = spec.verify ? await checkCommitted(ctx.db.knex, run.acceptedIds) : null;
  reportProblems(ctx, spec.label, run.summary, commits);
  return { connections: spec.connections, warmup, prebuilt, load: run.summary, window: figures, commits, backlogAtEnd, drainAfterSeconds };
}

export function reportProblems(ctx: BenchContext, label: string, load: LoadSummary, commits: CommitCheck | null): void {
  if (commits && !commits.ok) {
    ctx.warn(
      `!!! ${label}: ${commits.acked} requests got a 2xx but only ${commits.dedupeRows} dedupe rows and ${commits.outboxRows} outbox rows are committed for them`,
    );
  }
  if (load.non2xx > 0) ctx.warn(`${label}: ${load.non2xx} non-2xx responses (${JSON.stringify(load.statusCounts)})`);
  if (load.errors > 0) ctx.warn(`${label}: ${load.errors} connection errors or timeouts (${load.timeouts} timeouts)`);
  if (load.builtLive > 0) ctx.warn(`${label}: ${load.builtLive} requests were signed during the measured run (pre-built ones ran out)`);
}
