import type { BenchContext } from '../context.js';
import { fillDedupe, truncateEvents } from '../db.js';
import { closedLoopStep, type StepResult } from './step.js';
import { withServer } from './with-server.js';

export interface Dedupe1mPhase {
  connections: number;
  dedupeRows: number;
  fillSeconds: number;
  empty: StepResult;
  filled: StepResult;
  /** filled accepted/s over empty accepted/s. */
  ratio: number | null;
  peakRssBytes: number;
}

const PROGRESS_EVERY_MS = 10_000;

/**
 * Does ingest slow down as webhook_dedupe grows? The plugin at the target connection count on
 * empty tables, then again after a month's worth of dedupe rows (1,000,000 by default) were added,
 * on the same server child.
 */
export async function runDedupe1mPhase(ctx: BenchContext): Promise<Dedupe1mPhase> {
  const connections = ctx.options.targetConnections;
  const rows = ctx.options.dedupeRows;
  const { value, lifetimePeakRssBytes } = await withServer(ctx, 'plugin', 'dedupe1m', async (server, rss) => {
    ctx.log(`dedupe1m: plugin @${connections} on empty tables`);
    const empty = await closedLoopStep(ctx, server, rss, { label: 'dedupe1m empty', connections, truncate: true, verify: true, processing: true });
    await truncateEvents(ctx.db.knex);
    ctx.log(`dedupe1m: filling webhook_dedupe with ${rows} rows (multi-row INSERTs of 5,000)`);
    let nextReport = Date.now() + PROGRESS_EVERY_MS;
    const fillSeconds = await fillDedupe(ctx.db.knex, rows, (done) => {
      if (Date.now() < nextReport) return;
      nextReport = Date.now() + PROGRESS_EVERY_MS;
      ctx.log(`dedupe1m: filled ${done} of ${rows}`);
    });
    ctx.log(`dedupe1m: filled in ${fillSeconds.toFixed(1)} s; plugin @${connections} again`);
    const filled = await closedLoopStep(ctx, server, rss, { label: 'dedupe1m filled', connections, truncate: false, verify: true, processing: true });
    await truncateEvents(ctx.db.knex);
    return { empty, filled, fillSeconds };
  });
  const { empty, filled, fillSeconds } = value;
  const ratio = empty.load.acceptedPerSecond > 0 ? filled.load.acceptedPerSecond / empty.load.acceptedPerSecond : null;
  ctx.log(`dedupe1m: ${Math.round(empty.load.acceptedPerSecond)}/s empty, ${Math.round(filled.load.acceptedPerSecond)}/s with ${rows} rows (${ratio?.toFixed(2) ?? '-'}×)`);
  return { connections, dedupeRows: rows, fillSeconds, empty, filled, ratio, peakRssBytes: lifetimePeakRssBytes };
}
