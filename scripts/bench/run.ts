import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { PHASE_NAMES, RECEIVER_PHASES, type BenchContext, type BenchOptions, type PhaseName } from './context.js';
import { maskUrl, openBenchDatabase } from './db.js';
import { runCpuPhase } from './phases/cpu.js';
import { runDedupe1mPhase } from './phases/dedupe1m.js';
import { runDrainPhase } from './phases/drain.js';
import { runE2ePhase } from './phases/e2e.js';
import { runProcessesPhase } from './phases/processes.js';
import { runSchemesPhase } from './phases/schemes.js';
import { runStormPhase } from './phases/storm.js';
import { runInterleavedThroughput } from './phases/throughput.js';
import { redisProblem } from './redis.js';
import { REDIS } from './variants/bullmq.js';
import { formatProfile, summarizeProfile } from './profile.js';
import { computeRatios, describeLimits, evaluateTargets, renderReport, writeResults, type BenchResults } from './report.js';
import { createRequestFactory } from './requests.js';
import { startServer } from './server-handle.js';
import { findDatabasePid, machineBusyPct, machineFacts, sourceRevision } from './system.js';

/**
 * `npm run bench`: the HTTP ceiling, a naive receiver and the plugin, measured in one run on the
 * same database and machine, plus end-to-end latency, backlog drain and a full dedupe table.
 * See docs/benchmarks.md.
 */
const DEFAULT_DATABASE_URL = 'mysql://root@127.0.0.1:3306/crmwh_bench';
const TARGET_CONNECTIONS = 64;
/**
 * CPU µs per accepted-and-processed event of the code before issue 15 (commit 5c6a207), measured
 * with the cpu phase on the machine of the README's run: median of three runs (333, 358, 402).
 */
const CPU_BASELINE_MICROS = 358;

function parseOptions(argv: string[]): BenchOptions {
  const positive = (name: string) => (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
    return n;
  };
  const program = new Command('bench')
    .description('Measure the webhooks plugin against the HTTP ceiling and a naive receiver (docs/benchmarks.md)')
    .option('--database-url <url>', 'database to run on (default: $DATABASE_URL, else mysql://root@127.0.0.1:3306/crmwh_bench)')
    .option('--out <path>', 'where to write the JSON results', 'bench-results.json')
    .option('--duration <seconds>', 'measured seconds per step (default 10; 3 with --quick)', positive('--duration'))
    .option('--warmup <seconds>', 'warm-up seconds before each step (default 3; 1 with --quick)', positive('--warmup'))
    .option('--connections <list>', 'connection counts for the closed-loop phases', (v) => v.split(',').map((c) => Number(c.trim())), [1, 16, 64, 256])
    .option('--quick', 'smoke run: short steps, a 10,000-row backlog, no 1M-row dedupe phase', false)
    .option('--only <phases>', `comma-separated subset of ${PHASE_NAMES.join(',')}`)
    .option('--e2e-rate <perSecond>', 'steady rate of the end-to-end phase', positive('--e2e-rate'), 200)
    .option('--backlog <rows>', 'rows in the drain phase (default 100000; 10000 with --quick)', positive('--backlog'))
    .option('--dedupe-rows <rows>', 'rows added to webhook_dedupe in the dedupe1m phase', positive('--dedupe-rows'), 1_000_000)
    .option('--cpu-prof [dir]', 'write a V8 CPU profile of each plugin server child (and print a summary)')
    .option('--profile [dir]', 'same as --cpu-prof')
    .option('--schemes-baseline <dist>', 'dist directory of a build of the code before issue 10: the schemes phase compares with it')
    .option('--schemes-rounds <n>', 'interleaved rounds of the schemes phase (default 81; 9 with --quick)', positive('--schemes-rounds'))
    .option('--cpu-baseline <micros>', 'CPU µs per accepted-and-processed event before issue 15 (the cpu target compares with it)', positive('--cpu-baseline'), CPU_BASELINE_MICROS)
    .parse(argv);
  const raw = program.opts<{
    databaseUrl?: string;
    out: string;
    duration?: number;
    warmup?: number;
    connections: number[];
    quick: boolean;
    only?: string;
    e2eRate: number;
    backlog?: number;
    dedupeRows: number;
    cpuProf?: string | boolean;
    profile?: string | boolean;
    cpuBaseline: number;
    schemesBaseline?: string;
    schemesRounds?: number;
  }>();
  raw.cpuProf ??= raw.profile;
  if (raw.connections.some((c) => !Number.isInteger(c) || c < 1)) throw new InvalidArgumentError('--connections must list positive integers');
  let phases: PhaseName[] = raw.quick ? PHASE_NAMES.filter((p) => p !== 'dedupe1m') : [...PHASE_NAMES];
  if (raw.only) {
    const wanted = raw.only.split(',').map((p) => p.trim());
    const unknown = wanted.filter((p) => !(PHASE_NAMES as readonly string[]).includes(p));
    if (unknown.length > 0) throw new InvalidArgumentError(`--only: unknown phase ${unknown.join(', ')}; phases are ${PHASE_NAMES.join(', ')}`);
    phases = PHASE_NAMES.filter((p) => wanted.includes(p));
  }
  return {
    databaseUrl: raw.databaseUrl ?? (process.env.DATABASE_URL || DEFAULT_DATABASE_URL),
    out: raw.out,
    durationSeconds: raw.duration ?? (raw.quick ? 3 : 10),
    warmupSeconds: raw.warmup ?? (raw.quick ? 1 : 3),
    connections: raw.connections,
    quick: raw.quick,
    phases,
    targetConnections: TARGET_CONNECTIONS,
    e2eRatePerSecond: raw.e2eRate,
    backlogRows: Math.round(raw.backlog ?? (raw.quick ? 10_000 : 100_000)),
    dedupeRows: Math.round(raw.dedupeRows),
    cpuBaselineMicros: raw.cpuBaseline,
    schemesBaseline: raw.schemesBaseline ? resolve(raw.schemesBaseline) : null,
    schemesRounds: Math.max(1, Math.round(raw.schemesRounds ?? (raw.quick ? 9 : 81))),
    cpuProfDir: raw.cpuProf === undefined || raw.cpuProf === false ? null : raw.cpuProf === true ? mkdtempSync(join(tmpdir(), 'crmwh-bench-prof-')) : resolve(raw.cpuProf),
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  const startedAt = new Date().toISOString();
  const warnings: string[] = [];
  const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
  const warn = (message: string) => {
    warnings.push(message);
    console.error(`[bench] WARNING ${message}`);
  };

  const busyBeforeStartPct = await machineBusyPct();
  if (busyBeforeStartPct !== null && busyBeforeStartPct > 20) {
    warn(`the machine was already ${busyBeforeStartPct.toFixed(0)}% busy (of one core) before the bench started: other processes will take CPU from the measured ones`);
  }
  const secret = randomBytes(32).toString('hex');
  // Partner secrets encrypted at rest, as in production; the server children get the same key.
  const secretKey = randomBytes(32).toString('hex');
  log(`database ${maskUrl(options.databaseUrl)}: preparing fresh tables`);
  const db = await openBenchDatabase(options.databaseUrl, { secret, secretKey });
  const profiles: BenchResults['profiles'] = {};
  const phases: BenchResults['phases'] = {};
  const failures: BenchResults['failures'] = {};
  try {
    if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
    const ctx: BenchContext = {
      options,
      db,
      requests: createRequestFactory(secret),
      databasePid: findDatabasePid(options.databaseUrl),
      log,
      warn,
      startServer: (variant, profileName, pluginSettings) =>
        startServer({
          variant,
          databaseUrl: options.databaseUrl,
          env: { WEBHOOKS_SECRET_KEY: secretKey, BENCH_PARTNER_SECRET: secret, BENCH_PLUGIN_SETTINGS: JSON.stringify(pluginSettings ?? {}) },
          execArgv:
            options.cpuProfDir && variant === 'plugin' && profileName
              ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`, `--cpu-prof-name=${profileName}.cpuprofile`]
              : [],
        }),
    };
    if (ctx.databasePid === null && db.facts.kind === 'mysql') log('the database server process is not on this machine (or not visible): no database CPU figures');

    const receivers = RECEIVER_PHASES.filter((p) => options.phases.includes(p));
    if (receivers.includes('bullmq')) {
      const problem = await redisProblem(REDIS);
      if (problem) {
        warn(`!!! Redis at ${REDIS.host}:${REDIS.port} is DOWN (${problem}): the BullMQ receiver is NOT measured in this run`);
        failures.bullmq = `Redis at ${REDIS.host}:${REDIS.port} is down: ${problem}`;
        receivers.splice(receivers.indexOf('bullmq'), 1);
      }
    }
    // The receivers run interleaved (every one at each connection count in turn), so once, at the first.
    const interleaved = async () => {
      if (receivers.length === 0) return;
      const result = await runInterleavedThroughput(ctx, receivers.splice(0));
      Object.assign(phases, result.phases);
      Object.assign(failures, result.failures);
    };
    const runners: Record<PhaseName, () => Promise<void>> = {
      ceiling: interleaved,
      naive: interleaved,
      bullmq: interleaved,
      plugin: interleaved,
      storm: async () => void (phases.storm = await runStormPhase(ctx)),
      processes: async () => void (phases.processes = await runProcessesPhase(ctx)),
      cpu: async () => void (phases.cpu = await runCpuPhase(ctx)),
      e2e: async () => void (phases.e2e = await runE2ePhase(ctx)),
      drain: async () => void (phases.drain = await runDrainPhase(ctx)),
      dedupe1m: async () => void (phases.dedupe1m = await runDedupe1mPhase(ctx)),
      schemes: async () =>
        void (phases.schemes = await runSchemesPhase({
          baselineDist: options.schemesBaseline,
          rounds: options.schemesRounds,
          msPerRound: options.quick ? 60 : 120,
          bodyBytes: 1024,
          log,
        })),
    };
    for (const phase of options.phases) {
      try {
        await runners[phase]();
      } catch (error) {
        // Driver errors can quote a whole multi-row INSERT: keep the report readable.
        const reason = ((error as Error).message ?? String(error)).slice(0, 500);
        failures[phase] = reason;
        warn(`phase ${phase} failed: ${reason}`);
      }
      const profile = options.cpuProfDir ? join(options.cpuProfDir, `${phase}.cpuprofile`) : null;
      if (profile && existsSync(profile)) {
        profiles[phase] = summarizeProfile(profile);
        log(formatProfile(profiles[phase]!));
      }
    }
  } finally {
    log('dropping the bench tables');
    await db.cleanup().catch((error: unknown) => warn(`could not clean up the bench database: ${(error as Error).message}`));
  }

  const results: BenchResults = {
    tool: 'crm-webhooks bench',
    schemaVersion: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    options: { ...options, databaseUrl: maskUrl(options.databaseUrl) },
    machine: { ...machineFacts(), date: startedAt, busyBeforeStartPct },
    source: sourceRevision(),
    database: db.facts,
    phases,
    failures,
    ratios: computeRatios(phases, options.connections),
    targets: evaluateTargets(phases, options.targetConnections, options.cpuBaselineMicros),
    limits: describeLimits(phases, options.targetConnections),
    warnings,
    commitMismatches: countMismatches(phases),
    profiles,
  };
  writeResults(options.out, results);
  console.log(renderReport(results));
  console.log(`\nresults written to ${resolve(options.out)}`);
  if (results.commitMismatches > 0) return 2;
  return Object.keys(failures).length > 0 ? 1 : 0;
}

function countMismatches(phases: BenchResults['phases']): number {
  const checks = [
    ...[phases.naive, phases.plugin].flatMap((p) => p?.steps.map((s) => s.commits) ?? []),
    phases.e2e?.commits,
    phases.cpu?.commits,
    phases.storm?.yieldOn.commits,
    phases.storm?.yieldOff.commits,
    ...(phases.processes?.runs.map((r) => r.commits) ?? []),
    phases.dedupe1m?.empty.commits,
    phases.dedupe1m?.filled.commits,
  ];
  let missing = 0;
  for (const check of checks) if (check && !check.ok) missing += Math.max(check.acked - check.dedupeRows, check.acked - check.outboxRows, 1);
  return missing;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
