/**
 * Settings renamed so that one word names one idea (a "claim" is a worker's hold on an outbox row;
 * the group commit's "waiting" events answer 503 when too many; the dispatcher's "memory queue"
 * never does). The old names keep working with a deprecation warning, so a host's config file does
 * not break on upgrade.
 */
export const RENAMED_SETTINGS: ReadonlyArray<readonly [group: string, old: string, current: string]> = Object.freeze([
  ['processing', 'leaseMs', 'claimMs'],
  ['processing', 'queueLimit', 'memoryQueueLimit'],
  ['ingest', 'maxQueued', 'maxWaiting'],
  ['ingest', 'maxQueuedBytes', 'maxWaitingBytes'],
] as const);

/**
 * A copy of `data` with old setting names moved to their new ones, and one warning per old name
 * used. When both names are given the new one wins and the warning says so.
 */
export function applyRenamedSettings(data: Record<string, unknown>): { data: Record<string, unknown>; warnings: string[] } {
  const warnings: string[] = [];
  const out: Record<string, unknown> = { ...data };
  for (const [group, old, current] of RENAMED_SETTINGS) {
    const section = out[group];
    if (typeof section !== 'object' || section === null || !Object.hasOwn(section, old)) continue;
    const { [old]: value, ...rest } = section as Record<string, unknown>;
    const both = Object.hasOwn(rest, current);
    out[group] = both ? rest : { ...rest, [current]: value };
    warnings.push(`option ${group}.${old} is deprecated: use ${group}.${current}${both ? ` (both given; ${group}.${old} is ignored)` : ''}`);
  }
  return { data: out, warnings };
}
