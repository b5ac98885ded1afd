import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { BUILT_IN_SCHEME_NAMES } from '../../../plugin/signatures/registry.js';
import type { SchemeJob } from './schemes-worker.js';

/**
 * The per-request work of a code-defined scheme, in-process and without HTTP or a database:
 * verify the signature, decode the body and locate the event id and type, as the receiver does.
 * Issue 10 moved these schemes behind a registry and a body decoder that knows forms and XML;
 * this phase shows what that costs them, against the build of the code before it
 * (`--schemes-baseline <dist>`), with old and new rounds interleaved so machine load falls on both.
 *
 * The JSON parser was made faster after issue 10 (issue 15), which flatters "request" against the
 * old build; `sameParser` runs the old build's scheme and locator with today's parser, so its ratio
 * is issue 10's own cost (the registry, the body dispatch, the schemes' new code).
 *
 * Each scheme is measured in its own worker thread: in one isolate the schemes measured first
 * leave type feedback in the shared functions (parsers, header readers) that slows the later ones
 * unevenly between the builds, which showed as 7-9 % "slowdowns" of code that had not changed.
 */
export interface Rates {
  verify: number;
  request: number;
}

export interface SchemeFigures {
  /** Operations per CPU second, median over the rounds. */
  current: Rates;
  baseline: Rates | null;
  /** The baseline's request with today's JSON parser. */
  sameParser: number | null;
  /** current / baseline throughput, paired by round (median); below 1 means the current code is slower. */
  ratio: { verify: number; request: number; sameParser: number } | null;
}

export interface SchemesPhase {
  bodyBytes: number;
  rounds: number;
  msPerRound: number;
  baselineDist: string | null;
  schemes: Record<string, SchemeFigures>;
  /**
   * The largest slowdown of issue 10's own cost, as a fraction (0.03 = 3 % slower): the request
   * (verify + decode + locate) with the same JSON parser, worst of the four schemes.
   */
  worstSlowdown: number | null;
}

export interface SchemesOptions {
  baselineDist: string | null;
  rounds: number;
  msPerRound: number;
  bodyBytes: number;
  log(message: string): void;
}

async function measureInWorker(job: SchemeJob): Promise<{ figures: SchemeFigures; bodyBytes: number }> {
  const worker = new Worker(new URL('./schemes-worker.js', import.meta.url), { workerData: job });
  const [message] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([error]) => Promise.reject(error as Error))])) as [
    { figures: SchemeFigures; bodyBytes: number },
  ];
  await worker.terminate();
  return message;
}

export async function runSchemesPhase(options: SchemesOptions): Promise<SchemesPhase> {
  const schemes: Record<string, SchemeFigures> = {};
  let bodyBytes = 0;
  for (const name of BUILT_IN_SCHEME_NAMES) {
    const job: SchemeJob = { name, baselineDist: options.baselineDist, rounds: options.rounds, msPerRound: options.msPerRound, bodyBytes: options.bodyBytes };
    const measured = await measureInWorker(job);
    schemes[name] = measured.figures;
    bodyBytes = measured.bodyBytes;
    options.log(`schemes: ${name} ${formatScheme(measured.figures)}`);
  }
  const ratios = Object.values(schemes).flatMap((s) => (s.ratio ? [s.ratio.sameParser] : []));
  return {
    bodyBytes,
    rounds: options.rounds,
    msPerRound: options.msPerRound,
    baselineDist: options.baselineDist,
    schemes,
    worstSlowdown: ratios.length > 0 ? 1 - Math.min(...ratios) : null,
  };
}

function formatScheme(s: SchemeFigures): string {
  const ops = (n: number) => `${Math.round(n).toLocaleString('en-US')}/cpu-s`;
  const pct = (r: number) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)} %`;
  const now = `verify ${ops(s.current.verify)}, request ${ops(s.current.request)}`;
  if (!s.baseline || !s.ratio) return now;
  return (
    `${now}; before: verify ${ops(s.baseline.verify)}, request ${ops(s.baseline.request)} (${ops(s.sameParser ?? 0)} with today's JSON parser); ` +
    `change: verify ${pct(s.ratio.verify)}, request ${pct(s.ratio.request)}, request with the same parser ${pct(s.ratio.sameParser)}`
  );
}

/** The report's lines for this phase. */
export function renderSchemes(phase: SchemesPhase): string[] {
  const lines = [`schemes (in-process, ${phase.bodyBytes}-byte body, median of ${phase.rounds} interleaved rounds${phase.baselineDist ? `, before = ${phase.baselineDist}` : ''}):`];
  for (const [name, figures] of Object.entries(phase.schemes)) lines.push(`  ${name.padEnd(18)} ${formatScheme(figures)}`);
  if (phase.worstSlowdown !== null) {
    lines.push(`  worst slowdown (request with the same JSON parser): ${(phase.worstSlowdown * 100).toFixed(1)} % (target ≤ 5 %)`);
  }
  return lines;
}
