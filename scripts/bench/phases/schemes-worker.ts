import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeForScheme } from '../../../plugin/bodies/decode-body.js';
import { parseJsonBody } from '../../../plugin/ingest/json-body.js';
import { locateEvent } from '../../../plugin/signatures/event-locator.js';
import { getScheme, type BuiltInSchemeName } from '../../../plugin/signatures/registry.js';
import type { RequestHeaders, SignatureScheme } from '../../../plugin/signatures/types.js';
import type { SchemeFigures } from './schemes.js';

/**
 * The worker side of the schemes phase (phases/schemes.ts): one scheme, the current build against
 * the build before issue 10, in a fresh isolate.
 */
export interface SchemeJob {
  name: BuiltInSchemeName;
  baselineDist: string | null;
  rounds: number;
  msPerRound: number;
  bodyBytes: number;
}

/** What one build of the plugin offers for the work measured: its scheme objects and body handling. */
interface SchemeBuild {
  scheme(name: BuiltInSchemeName): SignatureScheme;
  decode(raw: Buffer, scheme: SignatureScheme, contentType: string): { value: unknown };
  locate(scheme: SignatureScheme, headers: RequestHeaders, body: unknown): unknown;
}

const MAX_JSON_DEPTH = 64; // the receive.maxJsonDepth default

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
const TOLERANCE_SECONDS = 300;

const currentBuild: SchemeBuild = {
  scheme: getScheme,
  decode: (raw, scheme, contentType) => decodeForScheme(raw, scheme, contentType, MAX_JSON_DEPTH),
  locate: (scheme, headers, body) => locateEvent(scheme, headers, body),
};

/** The build before issue 10: its scheme index, JSON parser and event locator, loaded from its dist. */
async function loadBaseline(dist: string): Promise<SchemeBuild[]> {
  const load = async <T>(path: string) => (await import(pathToFileURL(resolve(dist, path)).href)) as T;
  const signatures = await load<{ getScheme(name: string): SignatureScheme }>('plugin/signatures/index.js');
  const json = await load<{ parseJsonBody(raw: Buffer, maxDepth: number): { value: unknown } }>('plugin/ingest/json-body.js');
  const locator = await load<{ locateEvent(scheme: SignatureScheme, headers: RequestHeaders, body: unknown): unknown }>('plugin/signatures/event-locator.js');
  const before: SchemeBuild = {
    scheme: (name) => signatures.getScheme(name),
    decode: (raw) => json.parseJsonBody(raw, MAX_JSON_DEPTH),
    locate: (scheme, headers, body) => locator.locateEvent(scheme, headers, body),
  };
  return [before, { ...before, decode: (raw) => parseJsonBody(raw, MAX_JSON_DEPTH) }];
}

/** A CRM-sized event of about `bytes` bytes, with the id and type where every scheme looks. */
function eventBody(bytes: number): string {
  const event = { id: 'evt_0123456789abcdef', type: 'contact.updated', created: 1_700_000_000, data: { object: { id: 'con_42', note: '' } } };
  const bare = JSON.stringify(event).length;
  event.data.object.note = 'x'.repeat(Math.max(0, bytes - bare));
  return JSON.stringify(event);
}

interface Prepared {
  build: SchemeBuild;
  scheme: SignatureScheme;
  request: { rawBody: Buffer; headers: RequestHeaders; secrets: string[]; nowMs: number; toleranceSeconds: number };
}

function prepare(build: SchemeBuild, name: BuiltInSchemeName, body: string, nowMs: number): Prepared {
  const scheme = build.scheme(name);
  // The current code's secret for both builds: each scheme's secret form did not change.
  const secret = getScheme(name).generateSecret();
  const signed = scheme.sign({ secret, rawBody: body, id: 'evt_0123456789abcdef', timestampSeconds: Math.floor(nowMs / 1000), type: 'contact' });
  const headers: RequestHeaders = {
    host: 'crm.example.com',
    'user-agent': 'bench/1.0',
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...signed,
  };
  const prepared = { build, scheme, request: { rawBody: Buffer.from(body), headers, secrets: [secret], nowMs, toleranceSeconds: TOLERANCE_SECONDS } };
  // A verdict other than ok would measure the refusal path: stop instead of reporting it.
  if (!verifyOnce(prepared) || !requestOnce(prepared)) throw new Error(`schemes phase: ${name} did not accept its own signed request`);
  return prepared;
}

const verifyOnce = (p: Prepared) => p.scheme.verify(p.request).ok;

function requestOnce(p: Prepared): boolean {
  if (!p.scheme.verify(p.request).ok) return false;
  const body = p.build.decode(p.request.rawBody, p.scheme, 'application/json');
  return p.build.locate(p.scheme, p.request.headers, body.value) !== undefined;
}

/**
 * Operations per CPU second of `op` over about `ms` milliseconds of wall time (checked every 64
 * calls). CPU time, not wall time: on a shared machine the other processes' share of the cores
 * then changes how long a round takes, not the figure.
 */
function rate(op: (p: Prepared) => boolean, p: Prepared, ms: number): number {
  const cpuBefore = process.cpuUsage();
  const until = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  let done = 0;
  while (process.hrtime.bigint() < until) {
    for (let i = 0; i < 64; i += 1) if (!op(p)) throw new Error('schemes phase: a request stopped verifying mid-run');
    done += 64;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return done / ((cpu.user + cpu.system) / 1e6);
}


async function measure(job: SchemeJob): Promise<{ figures: SchemeFigures; bodyBytes: number }> {
  const baseline = job.baselineDist ? await loadBaseline(job.baselineDist) : [];
  const body = eventBody(job.bodyBytes);
  const nowMs = Date.now();
  const builds = [currentBuild, ...baseline].map((build) => prepare(build, job.name, body, nowMs));
  const samples = builds.map(() => ({ verify: [] as number[], request: [] as number[] }));
  for (const p of builds) rate(requestOnce, p, job.msPerRound); // warm-up: JIT and caches
  for (let round = 0; round < job.rounds; round += 1) {
    // Alternate which build goes first, so neither always runs right after the other's garbage.
    const order = round % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => i).reverse();
    for (const i of order) {
      samples[i]!.verify.push(rate(verifyOnce, builds[i]!, job.msPerRound));
      samples[i]!.request.push(rate(requestOnce, builds[i]!, job.msPerRound));
    }
  }
  const [current, before, sameParser] = samples.map((s) => ({ verify: median(s.verify), request: median(s.request) }));
  // Ratios paired by round (both builds ran within the same second or so), then the median:
  // steadier on a shared machine than a ratio of two medians.
  const paired = (of: 'verify' | 'request', other: number) =>
    median(samples[0]![of].map((value, round) => value / samples[other]![of][round]!));
  const figures: SchemeFigures = {
    current: current!,
    baseline: before ?? null,
    sameParser: sameParser?.request ?? null,
    ratio: before && sameParser ? { verify: paired('verify', 1), request: paired('request', 1), sameParser: paired('request', 2) } : null,
  };
  return { figures, bodyBytes: Buffer.byteLength(body) };
}

if (parentPort) {
  const port = parentPort;
  void measure(workerData as SchemeJob).then((result) => port.postMessage(result));
}
