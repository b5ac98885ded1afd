import { writeFileSync } from 'node:fs';
import type { BenchOptions, PhaseName } from './context.js';
import type { DatabaseFacts } from './db.js';
import type { CpuPhase } from './phases/cpu.js';
import type { Dedupe1mPhase } from './phases/dedupe1m.js';
import type { DrainPhase } from './phases/drain.js';
import type { E2ePhase } from './phases/e2e.js';
import type { ProcessesPhase } from './phases/processes.js';
import { renderSchemes, type SchemesPhase } from './phases/schemes.js';
import type { StormPhase } from './phases/storm.js';
import type { StepResult } from './phases/step.js';
import type { ThroughputPhase } from './phases/throughput.js';
import type { CpuFigures, WindowFigures } from './phases/window.js';
import type { ProfileSummary } from './profile.js';
import type { MachineFacts } from './system.js';

export interface BenchResults {
  tool: 'crm-webhooks bench';
  schemaVersion: 1;
  startedAt: string;
  finishedAt: string;
  options: Omit<BenchOptions, 'phases'> & { phases: PhaseName[] };
  machine: MachineFacts & { busyBeforeStartPct: number | null };
  /** The code measured: HEAD and the number of files changed from it. */
  source: { commit: string; changedFiles: number } | null;
  database: DatabaseFacts;
  phases: {
    ceiling?: ThroughputPhase;
    naive?: ThroughputPhase;
    bullmq?: ThroughputPhase;
    plugin?: ThroughputPhase;
    cpu?: CpuPhase;
    storm?: StormPhase;
    processes?: ProcessesPhase;
    e2e?: E2ePhase;
    drain?: DrainPhase;
    dedupe1m?: Dedupe1mPhase;
    schemes?: SchemesPhase;
  };
  /** Phases that failed, with why. */
  failures: Partial<Record<PhaseName, string>>;
  ratios: Ratios;
  targets: Target[];
  /** Where the CPU went at the target connection count, per variant. */
  limits: string[];
  warnings: string[];
  /** 2xx responses without their committed rows, summed over every check (must be 0). */
  commitMismatches: number;
  profiles: Record<string, ProfileSummary>;
}

export interface Ratios {
  /** Per connection count (as a string key): plugin accepted/s over the ceiling's and the naive receiver's. */
  pluginToCeiling: Record<string, number | null>;
  pluginToNaive: Record<string, number | null>;
  pluginToBullmq: Record<string, number | null>;
  /** Plugin ack p99 over the naive receiver's and the BullMQ receiver's. */
  ackP99PluginToNaive: Record<string, number | null>;
  ackP99PluginToBullmq: Record<string, number | null>;
}

export interface Target {
  name: string;
  /** The measured quantity compared with the threshold. */
  value: number | null;
  threshold: number;
  comparison: '>=' | '<=' | '<';
  met: boolean | null;
  detail: string;
}

const MiB = 1024 * 1024;

const stepAt = (phase: ThroughputPhase | undefined, connections: number) => phase?.steps.find((s) => s.connections === connections);
const divide = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || !b ? null : a / b);

export function computeRatios(phases: BenchResults['phases'], connections: readonly number[]): Ratios {
  const ratios: Ratios = { pluginToCeiling: {}, pluginToNaive: {}, pluginToBullmq: {}, ackP99PluginToNaive: {}, ackP99PluginToBullmq: {} };
  for (const c of connections) {
    const plugin = stepAt(phases.plugin, c);
    ratios.pluginToCeiling[c] = divide(plugin?.load.acceptedPerSecond, stepAt(phases.ceiling, c)?.load.acceptedPerSecond);
    ratios.pluginToNaive[c] = divide(plugin?.load.acceptedPerSecond, stepAt(phases.naive, c)?.load.acceptedPerSecond);
    ratios.ackP99PluginToNaive[c] = divide(plugin?.load.ackMs.p99, stepAt(phases.naive, c)?.load.ackMs.p99);
    ratios.pluginToBullmq[c] = divide(plugin?.load.acceptedPerSecond, stepAt(phases.bullmq, c)?.load.acceptedPerSecond);
    ratios.ackP99PluginToBullmq[c] = divide(plugin?.load.ackMs.p99, stepAt(phases.bullmq, c)?.load.ackMs.p99);
  }
  return ratios;
}

function target(name: string, value: number | null, comparison: Target['comparison'], threshold: number, detail: string): Target {
  const met = value === null ? null : comparison === '>=' ? value >= threshold : comparison === '<=' ? value <= threshold : value < threshold;
  return { name, value, comparison, threshold, met, detail };
}

/** The issue's targets, each from figures of this same run; null (n/a) when a phase it needs did not run. */
export function evaluateTargets(phases: BenchResults['phases'], at: number, cpuBaselineMicros: number): Target[] {
  const plugin = stepAt(phases.plugin, at) ?? phases.dedupe1m?.empty;
  const naive = stepAt(phases.naive, at);
  const bullmq = stepAt(phases.bullmq, at);
  const storm = phases.storm;
  const cpu = phases.cpu;
  const ceiling = stepAt(phases.ceiling, at);
  const rate = (s: StepResult | undefined) => (s ? Math.round(s.load.acceptedPerSecond).toString() : '-');
  const ms = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${v.toFixed(2)} ms`);
  const peaks = Object.entries(phases)
    .map(([name, phase]) => [name, (phase as { peakRssBytes?: number }).peakRssBytes ?? null] as const)
    .filter((entry): entry is readonly [string, number] => entry[1] !== null);
  if (phases.storm) peaks.push(['storm (yield on)', phases.storm.yieldOn.peakRssBytes], ['storm (yield off)', phases.storm.yieldOff.peakRssBytes]);
  const maxPeak = peaks.length > 0 ? Math.max(...peaks.map(([, peak]) => peak)) : null;
  const e2e = phases.e2e;
  const stormText = (run: StormPhase['yieldOn'] | undefined) =>
    run ? `${ms(run.host.storm.p99)} in the storm vs ${ms(run.host.quiet.p99)} alone` : '-';
  return [
    target(`accepted/s @${at}: plugin ≥ 1.0 × BullMQ receiver`, divide(plugin?.load.acceptedPerSecond, bullmq?.load.acceptedPerSecond), '>=', 1.0, `${rate(plugin)} vs ${rate(bullmq)}`),
    target(`host route p99 during a storm ≤ 3 × without (yield on)`, storm?.yieldOn.host.p99Ratio ?? null, '<=', 3, stormText(storm?.yieldOn)),
    target(`host route p99 during a storm, yield OFF (for the record)`, storm?.yieldOff.host.p99Ratio ?? null, '<=', 3, stormText(storm?.yieldOff)),
    target(
      `CPU per accepted-and-processed event ≥ 30 % below ${cpuBaselineMicros} µs (before issue 15)`,
      cpu?.cpuMicrosPerEvent === null || cpu?.cpuMicrosPerEvent === undefined ? null : cpu.cpuMicrosPerEvent / cpuBaselineMicros,
      '<=',
      0.7,
      `${cpu?.cpuMicrosPerEvent?.toFixed(0) ?? '-'} µs/event now`,
    ),
    target(`accepted/s @${at}: plugin ≥ 3.0 × naive`, divide(plugin?.load.acceptedPerSecond, naive?.load.acceptedPerSecond), '>=', 3.0, `${rate(plugin)} vs ${rate(naive)}`),
    target(`accepted/s @${at}: plugin ≥ 0.35 × HTTP ceiling`, divide(plugin?.load.acceptedPerSecond, ceiling?.load.acceptedPerSecond), '>=', 0.35, `${rate(plugin)} vs ${rate(ceiling)}`),
    target(`ack p99 @${at}: plugin ≤ 0.5 × naive`, divide(plugin?.load.ackMs.p99, naive?.load.ackMs.p99), '<=', 0.5, `${ms(plugin?.load.ackMs.p99)} vs ${ms(naive?.load.ackMs.p99)}`),
    target(
      `e2e p50 at ${e2e?.ratePerSecond ?? '-'}/s ≤ 3 × ack p50 at that rate`,
      divide(e2e?.sentToHandlerMs.p50, e2e?.load.ackMs.p50),
      '<=',
      3,
      `${ms(e2e?.sentToHandlerMs.p50)} vs ${ms(e2e?.load.ackMs.p50)}`,
    ),
    target(
      `backlog drain rate ≥ accepted rate @${at}`,
      divide(phases.drain?.rowsPerSecond, plugin?.load.acceptedPerSecond),
      '>=',
      1,
      `${phases.drain?.rowsPerSecond ? Math.round(phases.drain.rowsPerSecond) : '-'} rows/s vs ${rate(plugin)}/s`,
    ),
    target(
      'peak RSS of the server process < 256 MiB in every phase',
      maxPeak === null ? null : maxPeak / MiB,
      '<',
      256,
      peaks.map(([name, peak]) => `${name} ${(peak / MiB).toFixed(0)}`).join(', ') + ' MiB',
    ),
    target(
      `ingest @${phases.dedupe1m?.connections ?? at} with ${phases.dedupe1m?.dedupeRows ?? '1M'} dedupe rows ≥ 0.8 × empty`,
      phases.dedupe1m?.ratio ?? null,
      '>=',
      0.8,
      `${rate(phases.dedupe1m?.filled)} vs ${rate(phases.dedupe1m?.empty)}`,
    ),
    target(
      'the four built-in schemes per request ≥ 0.95 × before issue 10 (same JSON parser; worst of the four)',
      phases.schemes?.worstSlowdown === null || phases.schemes?.worstSlowdown === undefined ? null : 1 - phases.schemes.worstSlowdown,
      '>=',
      0.95,
      phases.schemes?.baselineDist ? `before = ${phases.schemes.baselineDist}` : 'needs --schemes-baseline <dist of the code before issue 10>',
    ),
  ];
}

/** One line per variant at the target connection count: who used the CPU, and was the machine full. */
export function describeLimits(phases: BenchResults['phases'], at: number): string[] {
  const lines: string[] = [];
  for (const phase of [phases.ceiling, phases.naive, phases.bullmq, phases.plugin]) {
    const step = stepAt(phase, at);
    if (!phase || !step) continue;
    const cpu = step.window.cpu;
    const full = cpu.machineBusyPct !== null && cpu.machineBusyPct >= 0.9 * 100 * cpu.machineCores;
    const loopBound = cpu.serverEventLoopPct >= 90;
    const verdict = loopBound
      ? "the server child's event loop was saturated (its single thread is the bottleneck)"
      : full
        ? 'the machine was out of CPU (all cores busy) without the server loop being saturated: the processes compete for cores'
        : 'neither the machine nor the server loop was saturated: waiting (commit latency, fsync, locks) limited it';
    const disturbed = cpu.otherPct !== null && cpu.otherPct >= 20 ? `; NOTE other processes used ${cpu.otherPct.toFixed(0)}% of a core meanwhile` : '';
    lines.push(`${phase.variant} @${at}: ${cpuText(cpu)} — ${verdict}${disturbed}`);
  }
  return lines;
}

function cpuText(cpu: CpuFigures): string {
  const db = cpu.databasePct === null ? 'db n/a' : `db ${cpu.databasePct.toFixed(0)}%`;
  const machine =
    cpu.machineBusyPct === null ? '' : `, machine ${cpu.machineBusyPct.toFixed(0)}% of ${cpu.machineCores * 100}% (others ${pct(cpu.otherPct)}%)`;
  return `server ${cpu.serverPct.toFixed(0)}% (event loop ${cpu.serverEventLoopPct.toFixed(0)}% busy), ${db}, load generator ${cpu.loadGeneratorPct.toFixed(0)}%${machine}`;
}

/** A plain text table: first column left-aligned, the rest right-aligned. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const num = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined ? '-' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? '-' : (bytes / MiB).toFixed(0));
const pct = (v: number | null) => (v === null ? '-' : v.toFixed(0));

/** Database counter increase per event, e.g. statements or commits per accepted event. */
function perEvent(window: WindowFigures, counter: string, events: number): string {
  const value = window.databaseCounters?.[counter];
  return value === undefined || events <= 0 ? '-' : (value / events).toFixed(1);
}

function dbWork(window: WindowFigures, events: number): string {
  if (!window.databaseCounters) return '';
  return `; per event: ${perEvent(window, 'Questions', events)} statements, ${perEvent(window, 'Com_commit', events)} commits, ${perEvent(window, 'Innodb_data_fsyncs', events)} fsyncs`;
}

function stepRow(name: string, step: StepResult): string[] {
  const { load, window, commits } = step;
  const rows = commits === null ? 'n/a' : commits.ok ? `ok ${commits.acked}` : `MISMATCH ${commits.acked - Math.min(commits.dedupeRows, commits.outboxRows)}`;
  const lag = step.backlogAtEnd === null ? '-' : `${step.backlogAtEnd}/${step.drainAfterSeconds === null ? 'timeout' : `${step.drainAfterSeconds.toFixed(1)}s`}`;
  return [
    name,
    String(step.connections),
    num(load.acceptedPerSecond),
    num(load.ackMs.p50, 2),
    num(load.ackMs.p99, 2),
    num(load.ackMs.max, 1),
    String(load.non2xx + load.errors),
    rows,
    lag,
    mib(window.peakRssBytes),
    perEvent(window, 'Questions', load.accepted),
    perEvent(window, 'Com_commit', load.accepted),
    perEvent(window, 'Innodb_data_fsyncs', load.accepted),
    `${pct(window.cpu.serverPct)} (${pct(window.cpu.serverEventLoopPct)})`,
    pct(window.cpu.databasePct),
    pct(window.cpu.loadGeneratorPct),
    pct(window.cpu.otherPct),
    pct(window.cpu.machineBusyPct),
  ];
}

export function renderReport(results: BenchResults): string {
  const { machine, database: db, options, phases } = results;
  const out: string[] = [];
  const dbSettings =
    db.kind === 'mysql'
      ? `innodb_flush_log_at_trx_commit=${db.innodbFlushLogAtTrxCommit}, sync_binlog=${db.syncBinlog}, log_bin=${db.logBin}, buffer pool ${mib(db.innodbBufferPoolBytes)} MiB`
      : `journal_mode=${db.sqliteJournalMode}, synchronous=${db.sqliteSynchronous}`;
  out.push(
    `crm-webhooks bench — ${machine.date}`,
    `machine:  ${machine.cpuCount} × ${machine.cpuModel}, ${(machine.totalMemoryBytes / 1024 ** 3).toFixed(1)} GiB RAM, Node ${machine.nodeVersion}, ${machine.platform} ${machine.kernel}; ` +
      `busy before start ${pct(machine.busyBeforeStartPct)}% of ${machine.cpuCount * 100}%`,
    `code:     ${results.source ? `${results.source.commit.slice(0, 12)}${results.source.changedFiles > 0 ? ` + ${results.source.changedFiles} changed files` : ''}` : 'unknown'}`,
    `database: ${db.version} at ${db.url} (${dbSettings})`,
    `run:      ${options.durationSeconds} s measured after ${options.warmupSeconds} s warm-up per step; connections ${options.connections.join(', ')}; ~1 KiB signed JSON events${options.quick ? '; QUICK (smoke) run' : ''}`,
    '',
  );

  const throughputRows: string[][] = [];
  // Grouped by connection count, as they were measured (interleaved).
  for (const connections of options.connections) {
    for (const phase of [phases.ceiling, phases.naive, phases.bullmq, phases.plugin]) {
      const step = stepAt(phase, connections);
      if (phase && step) throughputRows.push(stepRow(phase.variant, step));
    }
  }
  if (throughputRows.length > 0) {
    out.push(
      'Closed loop (autocannon): accepted = 2xx per second; ack = request sent to response received; rows = 2xx with committed dedupe+outbox rows;',
      'lag = outbox rows not yet done when the load stopped / time until they were done; RSS = server child peak;',
      'q, commit, fsync = database statements, commits and fsyncs per accepted event (server-wide counters); CPU in % of one core:',
      'srv (its event loop busy %), db = mariadbd, load = this process (autocannon), other = rest of the machine, machine = all (max cores × 100).',
      table(['phase', 'conns', 'accepted/s', 'ack p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'rows', 'lag', 'RSS MiB', 'q/ev', 'commit/ev', 'fsync/ev', 'srv% (loop%)', 'db%', 'load%', 'other%', 'machine%'], throughputRows),
      '',
    );
  }

  const ratioColumns = options.connections.map(String);
  if (phases.plugin && (phases.ceiling || phases.naive)) {
    const ratioRow = (name: string, values: Record<string, number | null>) => [name, ...ratioColumns.map((c) => num(values[c], 2))];
    out.push(
      table(
        ['ratio (same run)', ...ratioColumns.map((c) => `@${c}`)],
        [
          ratioRow('plugin / ceiling accepted/s', results.ratios.pluginToCeiling),
          ratioRow('plugin / naive accepted/s', results.ratios.pluginToNaive),
          ratioRow('plugin / naive ack p99', results.ratios.ackP99PluginToNaive),
          ratioRow('plugin / BullMQ accepted/s', results.ratios.pluginToBullmq),
          ratioRow('plugin / BullMQ ack p99', results.ratios.ackP99PluginToBullmq),
        ],
      ),
      '',
    );
  }

  if (phases.cpu) {
    const c = phases.cpu;
    out.push(
      `CPU per event (plugin @${c.connections}, ${options.durationSeconds} s of ingest plus the processing that followed): ` +
        `${num(c.load.accepted)} events accepted and processed with ${c.serverCpuSeconds.toFixed(2)} s of host CPU = ${num(c.cpuMicrosPerEvent)} µs/event ` +
        `(before issue 15: ${options.cpuBaselineMicros} µs); ${num(c.load.acceptedPerSecond)} accepted/s; rows ${c.commits.ok ? 'ok' : 'MISMATCH'}`,
      '',
    );
  }

  if (phases.storm) {
    const s = phases.storm;
    const row = (name: string, run: StormPhase['yieldOn']) => [
      name,
      num(run.host.quiet.p50, 1),
      num(run.host.quiet.p99, 1),
      num(run.host.storm.p50, 1),
      num(run.host.storm.p99, 1),
      num(run.host.p99Ratio, 2),
      num(run.webhooks.acceptedPerSecond),
      num(run.webhook503),
      String(run.host.hostFailures),
      mib(run.peakRssBytes),
    ];
    out.push(
      `Host latency under a storm: GET /crm/contacts (20 rows, same knex pool) at ${s.hostRatePerSecond}/s, alone and during a webhook storm at ${s.connections} connections:`,
      table(
        ['plugin setting', 'alone p50 ms', 'alone p99', 'storm p50', 'storm p99', 'p99 ×', 'webhook acks/s', 'webhook 503s', 'host fails', 'RSS MiB'],
        [row(`yield on (maxEventLoopDelayMs ${s.yieldOn.maxEventLoopDelayMs ?? 'default'})`, s.yieldOn), row('yield off (maxEventLoopDelayMs 0)', s.yieldOff)],
      ),
      '',
    );
  }

  if (phases.processes) {
    const p = phases.processes;
    out.push(
      `N plugin processes on one database behind a round-robin on loopback (${p.connections} connections in all):`,
      table(
        ['processes', 'acks/s', 'ack p99 ms', 'non-2xx', 'srv% (all)', 'drain rows', 'drain rows/s'],
        p.runs.map((r) => [String(r.processes), num(r.load.acceptedPerSecond), num(r.load.ackMs.p99, 2), String(r.load.non2xx + r.load.errors), num(r.serverCpuPct), num(r.drainRows), num(r.drainRowsPerSecond)]),
      ),
      '',
    );
  }

  if (phases.e2e) {
    const e = phases.e2e;
    out.push(
      `End to end at a steady ${e.ratePerSecond} events/s for ${options.durationSeconds} s (open loop, ${e.load.accepted} accepted, ${e.load.non2xx + e.load.errors} failed):`,
      table(
        ['latency (ms)', 'p50', 'p99', 'max', 'n'],
        [
          ['ack: sent → 202 received', num(e.load.ackMs.p50, 2), num(e.load.ackMs.p99, 2), num(e.load.ackMs.max, 2), String(e.load.ackMs.count)],
          ['end to end: sent → handler called', num(e.sentToHandlerMs.p50, 2), num(e.sentToHandlerMs.p99, 2), num(e.sentToHandlerMs.max, 2), String(e.sentToHandlerMs.count)],
          ['server only: request event → handler', num(e.arrivalToHandlerMs.p50, 2), num(e.arrivalToHandlerMs.p99, 2), num(e.arrivalToHandlerMs.max, 2), String(e.arrivalToHandlerMs.count)],
          ['received_at → processed_at (DB, ms)', num(e.receivedToProcessedMs.p50, 0), num(e.receivedToProcessedMs.p99, 0), num(e.receivedToProcessedMs.max, 0), String(e.receivedToProcessedMs.count)],
        ],
      ),
      `  peak RSS ${mib(e.peakRssBytes)} MiB; ${cpuText(e.window.cpu)}${dbWork(e.window, e.load.accepted)}; rows ${e.commits.ok ? 'ok' : 'MISMATCH'}`,
      '',
    );
  }

  if (phases.drain) {
    const d = phases.drain;
    out.push(
      `Backlog drain after a restart: ${num(d.rows)} pending rows (filled in ${d.fillSeconds.toFixed(1)} s), no-op handler:`,
      `  ${d.drainSeconds === null ? 'DID NOT FINISH' : `${d.drainSeconds.toFixed(1)} s from host start to last handler = ${num(d.rowsPerSecond)} rows/s`}` +
        `; first event after ${d.firstEventAfterSeconds?.toFixed(2) ?? '-'} s; ${d.doneRows} rows done; peak RSS ${mib(d.peakRssBytes)} MiB`,
      `  ${cpuText(d.window.cpu)}${dbWork(d.window, d.handled)}`,
      '',
    );
  }

  if (phases.dedupe1m) {
    const d = phases.dedupe1m;
    out.push(
      `Ingest with a full dedupe table (plugin @${d.connections}): empty ${num(d.empty.load.acceptedPerSecond)}/s (p99 ${num(d.empty.load.ackMs.p99, 2)} ms) → ` +
        `with ${num(d.dedupeRows)} rows ${num(d.filled.load.acceptedPerSecond)}/s (p99 ${num(d.filled.load.ackMs.p99, 2)} ms) = ${num(d.ratio, 2)}×; ` +
        `fill took ${d.fillSeconds.toFixed(1)} s (${num(d.dedupeRows / d.fillSeconds)} rows/s); peak RSS ${mib(d.peakRssBytes)} MiB`,
      `  InnoDB pages read from disk per accepted event: ${perEvent(d.empty.window, 'Innodb_buffer_pool_reads', d.empty.load.accepted)} empty → ` +
        `${perEvent(d.filled.window, 'Innodb_buffer_pool_reads', d.filled.load.accepted)} full (compare the table size with the buffer pool in the header)`,
      '',
    );
  }

  if (phases.schemes) out.push(...renderSchemes(phases.schemes), '');

  out.push('Targets (ratios from this run):');
  for (const t of results.targets) {
    const mark = t.met === null ? '[n/a]    ' : t.met ? '[met]    ' : '[NOT MET]';
    out.push(`  ${mark} ${t.name}: ${t.value === null ? '-' : t.value.toFixed(2)} (${t.comparison} ${t.threshold}) — ${t.detail}`);
  }
  out.push('');

  if (results.limits.length > 0) out.push('What limited the figures:', ...results.limits.map((l) => `  ${l}`), '');

  for (const [phase, reason] of Object.entries(results.failures)) out.push(`!!! phase ${phase} FAILED: ${reason}`);
  out.push(
    results.commitMismatches === 0
      ? 'Commit check: every 2xx response had its committed dedupe and outbox rows.'
      : `!!! COMMIT CHECK FAILED: ${results.commitMismatches} 2xx responses without their committed rows !!!`,
  );
  if (results.warnings.length > 0) out.push('Warnings:', ...results.warnings.map((w) => `  ${w}`));
  return out.join('\n');
}

export function writeResults(path: string, results: BenchResults): void {
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
