import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../context.js';
import { checkCommitted, truncateEvents, waitForDrain, type CommitCheck } from '../db.js';
import { runClosedLoop, type LoadSummary } from '../load.js';
import type { ProbeResult } from '../prober.js';
import { createRequestSource } from '../requests.js';
import { summarize, type LatencySummary } from '../stats.js';
import { RECEIVE_PATH } from '../tables.js';
import { reportProblems } from './step.js';
import { openWindow, type WindowFigures } from './window.js';
import { withServer } from './with-server.js';

/** The host's own page: a small CRM read through the same knex pool the plugin uses. */
export const HOST_ROUTE = '/crm/contacts';
const HOST_RATE = 50;
const CONTACTS = 200;
const DRAIN_TIMEOUT_MS = 300_000;

export interface HostLatency {
  /** The host route alone at 50 requests/s. */
  quiet: LatencySummary;
  /** The same while webhooks arrive as fast as the load generator can send them. */
  storm: LatencySummary;
  /** storm p99 / quiet p99. */
  p99Ratio: number | null;
  hostFailures: number;
}

export interface StormRun {
  /** receive.maxEventLoopDelayMs of the plugin in this run (0: the yield is off). */
  maxEventLoopDelayMs: number | null;
  host: HostLatency;
  webhooks: LoadSummary;
  /** 503 answers to webhooks during the storm (the yield's refusals, and any other). */
  webhook503: number;
  window: WindowFigures;
  commits: CommitCheck;
  peakRssBytes: number;
}

export interface StormPhase {
  hostRatePerSecond: number;
  connections: number;
  /** With the default settings (yield on), then with receive.maxEventLoopDelayMs: 0. */
  yieldOn: StormRun;
  yieldOff: StormRun;
}

/** Runs the prober child: GETs of `url` at `rate` per second for `seconds`. */
async function probe(url: string, rate: number, seconds: number): Promise<ProbeResult> {
  const child = fork(fileURLToPath(new URL('../prober.js', import.meta.url)), [url, String(rate), String(seconds)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [result] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the host-route prober exited with code ${String(code)}`);
    }),
  ])) as [ProbeResult];
  return result;
}

async function seedContacts(ctx: BenchContext): Promise<void> {
  await ctx.db.knex('crm_contacts').del();
  const now = new Date().toISOString().slice(0, 23).replace('T', ' ');
  const rows = Array.from({ length: CONTACTS }, (_, i) => ({ email: `contact${i}@example.com`, name: `Contact ${i}`, updated_at: now }));
  await ctx.db.knex('crm_contacts').insert(rows);
}

async function stormRun(ctx: BenchContext, name: string, maxEventLoopDelayMs: number | null): Promise<StormRun> {
  const settings = maxEventLoopDelayMs === null ? {} : { receive: { maxEventLoopDelayMs } };
  const seconds = ctx.options.durationSeconds;
  const connections = ctx.options.targetConnections;
  const { value, lifetimePeakRssBytes } = await withServer(ctx, 'plugin', name, async (server, rss) => {
    await truncateEvents(ctx.db.knex);
    await seedContacts(ctx);
    const hostUrl = server.url(HOST_ROUTE);
    // Warm both paths (JIT, pools), then the host route alone.
    await Promise.all([
      probe(hostUrl, HOST_RATE, ctx.options.warmupSeconds || 1),
      runClosedLoop({ url: server.url(RECEIVE_PATH), connections, durationSeconds: ctx.options.warmupSeconds || 1, source: createRequestSource(ctx.requests, 0) }),
    ]);
    await waitForDrain(ctx.db.knex, DRAIN_TIMEOUT_MS);
    ctx.log(`${name}: host route alone at ${HOST_RATE}/s for ${seconds} s`);
    const quiet = await probe(hostUrl, HOST_RATE, seconds);
    ctx.log(`${name}: host route at ${HOST_RATE}/s during a webhook storm at ${connections} connections for ${seconds} s`);
    const window = await openWindow(ctx, server, rss);
    const source = createRequestSource(ctx.requests, Math.ceil(6000 * seconds));
    const [storm, run] = await Promise.all([
      probe(hostUrl, HOST_RATE, seconds),
      runClosedLoop({ url: server.url(RECEIVE_PATH), connections, durationSeconds: seconds, source }),
    ]);
    const figures = await window.close();
    await waitForDrain(ctx.db.knex, DRAIN_TIMEOUT_MS);
    const commits = await checkCommitted(ctx.db.knex, run.acceptedIds);
    reportProblems(ctx, name, run.summary, commits);
    return { quiet, storm, run: run.summary, figures, commits };
  }, settings);
  const quiet = summarize(value.quiet.latenciesMs);
  const storm = summarize(value.storm.latenciesMs);
  const hostFailures = value.storm.errors + value.quiet.errors + countNon2xx(value.storm) + countNon2xx(value.quiet);
  if (hostFailures > 0) ctx.warn(`${name}: ${hostFailures} host-route requests failed`);
  const result: StormRun = {
    maxEventLoopDelayMs,
    host: { quiet, storm, p99Ratio: quiet.p99 && storm.p99 !== null ? storm.p99 / quiet.p99 : null, hostFailures },
    webhooks: value.run,
    webhook503: value.run.statusCounts['503'] ?? 0,
    window: value.figures,
    commits: value.commits,
    peakRssBytes: lifetimePeakRssBytes,
  };
  ctx.log(
    `${name}: host p50/p99 ${quiet.p50?.toFixed(1)}/${quiet.p99?.toFixed(1)} ms quiet, ${storm.p50?.toFixed(1)}/${storm.p99?.toFixed(1)} ms in the storm ` +
      `(${result.host.p99Ratio?.toFixed(2)}×); webhooks ${Math.round(value.run.acceptedPerSecond)} acks/s, ${result.webhook503} × 503`,
  );
  return result;
}

function countNon2xx(result: ProbeResult): number {
  return Object.entries(result.statusCounts).reduce((n, [status, count]) => (Number(status) >= 300 ? n + count : n), 0);
}

/**
 * Does a partner's storm make the CRM's own pages slow? The demo host's /crm/contacts (20 rows
 * through the same knex pool) at a steady 50 requests/s, alone and then during a closed-loop
 * webhook storm, once with the plugin's defaults (the event-loop yield on) and once with
 * receive.maxEventLoopDelayMs: 0.
 */
export async function runStormPhase(ctx: BenchContext): Promise<StormPhase> {
  const yieldOn = await stormRun(ctx, 'storm-yield-on', null);
  const yieldOff = await stormRun(ctx, 'storm-yield-off', 0);
  return { hostRatePerSecond: HOST_RATE, connections: ctx.options.targetConnections, yieldOn, yieldOff };
}
