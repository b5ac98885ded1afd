import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Summarizes a V8 .cpuprofile (what `node --cpu-prof` writes; the bench's --cpu-prof option makes
 * the plugin's server children write one per phase) by self time: per function, and per area (the
 * plugin's own directories, each npm package, Node internals, GC). Run directly:
 *   node dist/scripts/bench/profile.js <file.cpuprofile> [top]
 */
export interface ProfileEntry {
  name: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of samples the thread was idle (waiting on I/O): 100 minus this is how busy it was. */
  idlePct: number;
  byFunction: ProfileEntry[];
  byArea: ProfileEntry[];
  /**
   * Self time charged to the nearest caller in the plugin's code or an npm package: Node internals
   * and native frames (socket writes, hashing) are charged to whoever called them, e.g. a socket
   * write under mysql2 counts for mysql2.
   */
  byOwner: ProfileEntry[];
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const ownerOf = (id: number): string => {
    const own = frames.get(id)!;
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const frame = frames.get(current)!;
      const area = areaOf(frame.functionName, frame.url);
      if (area.startsWith('npm ') || /^(plugin|scripts|migrations)/.test(area)) return area;
    }
    return areaOf(own.functionName, own.url);
  };
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let totalUs = 0;
  // Sample i's time is the delta to the next sample, so attribute timeDeltas[i + 1] to samples[i].
  for (let i = 0; i < profile.samples.length; i += 1) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const frame = frames.get(profile.samples[i]!);
    if (!frame) continue;
    totalUs += us;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const area = areaOf(frame.functionName, frame.url);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const owner = ownerOf(profile.samples[i]!);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
  }
  const entries = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, selfPct: totalUs > 0 ? (100 * us) / totalUs : 0 }));
  return {
    file,
    totalMs: totalUs / 1000,
    idlePct: totalUs > 0 ? (100 * (byArea.get('(idle)') ?? 0)) / totalUs : 0,
    byFunction: entries(byFunction),
    byArea: entries(byArea),
    byOwner: entries(byOwner),
  };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const dist = url.lastIndexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

/** plugin/<dir>, scripts/<dir>, an npm package, node: internals, or V8's pseudo-frames. */
function areaOf(functionName: string, url: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return `npm ${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const own = /\/dist\/((?:plugin|scripts|migrations)(?:\/[^/]+)?)\//.exec(url);
  return own ? own[1]! : url;
}

export function formatProfile(summary: ProfileSummary, top = 25): string {
  const line = (e: ProfileEntry) => `  ${e.selfPct.toFixed(1).padStart(5)}%  ${e.selfMs.toFixed(0).padStart(7)} ms  ${e.name}`;
  return [
    `CPU profile ${summary.file}: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(100 - summary.idlePct).toFixed(1)}% busy`,
    ' self time by area:',
    ...summary.byArea.slice(0, 15).map(line),
    ' self time by owner (internals and native code charged to their nearest plugin or npm caller):',
    ...summary.byOwner.slice(0, 15).map(line),
    ` self time by function (top ${top}):`,
    ...summary.byFunction.slice(0, top).map(line),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/scripts/bench/profile.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  const count = Number(top ?? 25);
  console.log(formatProfile(summarizeProfile(file, count), count));
}
