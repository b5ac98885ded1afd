import type { BenchContext } from '../context.js';
import type { VariantName } from '../protocol.js';
import type { ServerHandle } from '../server-handle.js';
import { closedLoopStep, type StepResult } from './step.js';
import { createPeakRss, type PeakRss } from './window.js';

export interface ThroughputPhase {
  variant: VariantName;
  steps: StepResult[];
  /** Peak RSS of the server child over the whole phase (warm-ups and drains included). */
  peakRssBytes: number;
  rssSource: string;
}

/**
 * The receivers side by side: one server child per variant, all started first, then at each
 * connection count every variant in turn, so that a change in the machine's load during the run
 * (other processes, thermal limits) touches all of them alike and the ratios stay fair. The event
 * tables are emptied before each step so every step starts from the same state. A variant that
 * cannot start (Redis down for bullmq) is reported in `failures` and the others still run.
 */
export async function runInterleavedThroughput(
  ctx: BenchContext,
  variants: readonly VariantName[],
): Promise<{ phases: Partial<Record<VariantName, ThroughputPhase>>; failures: Partial<Record<VariantName, string>> }> {
  const servers = new Map<VariantName, { server: ServerHandle; rss: PeakRss; steps: StepResult[] }>();
  const failures: Partial<Record<VariantName, string>> = {};
  try {
    for (const variant of variants) {
      try {
        // Capacity with the yield off: a closed-loop generator ignores Retry-After, so shedding would
        // only lower the count (the storm phase measures the yield).
        const server = await ctx.startServer(variant, variant, variant === 'plugin' ? { receive: { maxEventLoopDelayMs: 0 } } : undefined);
        servers.set(variant, { server, rss: createPeakRss(server), steps: [] });
      } catch (error) {
        failures[variant] = (error as Error).message;
        ctx.warn(`${variant}: could not start its server (${(error as Error).message}); it is left out of this run`);
      }
    }
    for (const connections of ctx.options.connections) {
      for (const [variant, entry] of servers) {
        if (failures[variant]) continue;
        const label = `${variant} @${connections}`;
        const writesRows = variant === 'naive' || variant === 'plugin';
        ctx.log(`${label}: warm-up ${ctx.options.warmupSeconds} s, then ${ctx.options.durationSeconds} s measured`);
        try {
          const step = await closedLoopStep(ctx, entry.server, entry.rss, { label, connections, truncate: writesRows, verify: writesRows, processing: variant === 'plugin' });
          ctx.log(
            `${label}: ${Math.round(step.load.acceptedPerSecond)} accepted/s, ack p50 ${fmt(step.load.ackMs.p50)} ms, p99 ${fmt(step.load.ackMs.p99)} ms, ` +
              `non-2xx ${step.load.non2xx}, server CPU ${Math.round(step.window.cpu.serverPct)}%, db CPU ${step.window.cpu.databasePct === null ? '-' : Math.round(step.window.cpu.databasePct)}%`,
          );
          entry.steps.push(step);
        } catch (error) {
          failures[variant] = (error as Error).message;
          ctx.warn(`${label} failed: ${(error as Error).message}`);
        }
      }
    }
    const phases: Partial<Record<VariantName, ThroughputPhase>> = {};
    for (const [variant, entry] of servers) {
      await entry.rss.read().catch(() => 0);
      if (entry.steps.length > 0) phases[variant] = { variant, steps: entry.steps, peakRssBytes: entry.rss.lifetimePeak, rssSource: entry.rss.source };
    }
    return { phases, failures };
  } finally {
    await Promise.all([...servers.values()].map(({ server }) => server.stop().catch(() => undefined)));
  }
}

function fmt(value: number | null): string {
  return value === null ? '-' : value.toFixed(2);
}
