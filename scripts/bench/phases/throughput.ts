import type { BenchContext } from '../context.js';
import type { VariantName } from '../protocol.js';
import { closedLoopStep, type StepResult } from './step.js';
import { withServer } from './with-server.js';

export interface ThroughputPhase {
  variant: VariantName;
  steps: StepResult[];
  /** Peak RSS of the server child over the whole phase (warm-ups and drains included). */
  peakRssBytes: number;
  rssSource: string;
}

/**
 * One variant (ceiling, naive or plugin) at each connection count, on one server child; the event
 * tables are emptied before each step so every step starts from the same state.
 */
export async function runThroughputPhase(ctx: BenchContext, variant: VariantName): Promise<ThroughputPhase> {
  const writesRows = variant !== 'ceiling';
  const { value: steps, lifetimePeakRssBytes, rssSource } = await withServer(ctx, variant, variant, async (server, rss) => {
    const results: StepResult[] = [];
    for (const connections of ctx.options.connections) {
      const label = `${variant} @${connections}`;
      ctx.log(`${label}: warm-up ${ctx.options.warmupSeconds} s, then ${ctx.options.durationSeconds} s measured`);
      const step = await closedLoopStep(ctx, server, rss, { label, connections, truncate: writesRows, verify: writesRows, processing: variant === 'plugin' });
      ctx.log(
        `${label}: ${Math.round(step.load.acceptedPerSecond)} accepted/s, ack p50 ${fmt(step.load.ackMs.p50)} ms, p99 ${fmt(step.load.ackMs.p99)} ms, ` +
          `non-2xx ${step.load.non2xx}, server CPU ${Math.round(step.window.cpu.serverPct)}%, db CPU ${step.window.cpu.databasePct === null ? '-' : Math.round(step.window.cpu.databasePct)}%`,
      );
      results.push(step);
    }
    return results;
  });
  return { variant, steps, peakRssBytes: lifetimePeakRssBytes, rssSource };
}

function fmt(value: number | null): string {
  return value === null ? '-' : value.toFixed(2);
}
