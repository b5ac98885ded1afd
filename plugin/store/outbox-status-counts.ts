import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { OUTBOX_TABLE } from './outbox-insert.js';
import type { OutboxStatus } from '../types.js';

/** Rows of one status, by partner; `estimated` when they were scaled up from a sample. */
export interface StatusCounts {
  byPartner: Map<string, number>;
  estimated: boolean;
}

export interface StatusCountLimits {
  /** A status with more rows than this is estimated (MySQL/MariaDB only). */
  exactUpTo: number;
  /** How many ids of the status's id span the estimate reads, spread over the span. */
  sampleIds: number;
}

/**
 * Issue 16: counting 1.9M done index entries takes over a second at 2,000,000 rows, and no index
 * statistic is close enough (InnoDB's range estimates were 2× off, and capped at half the table).
 * These bounds keep a status read under about 100 ms warm.
 */
export const DEFAULT_STATUS_COUNT_LIMITS: Readonly<StatusCountLimits> = Object.freeze({ exactUpTo: 50_000, sampleIds: 20_000 });

/**
 * The estimate's statement reads partners × windows key ranges, and the optimizer dives into each
 * range first: 16 windows of 20 partners took 37 ms at 300,000 rows, 64 took 70 ms.
 */
const MAX_WINDOWS = 16;
const MAX_RANGES = 1000;

/** Below this many sampled rows a partner's scaled figure is too rough (±15 % and worse). */
const RARE_HITS = 50;

async function exactCounts(knex: Knex, status: OutboxStatus, partners?: readonly string[]): Promise<Map<string, number>> {
  const rows: Array<{ partner: string; n: number | string }> = await knex(OUTBOX_TABLE)
    .select('partner')
    .count({ n: '*' })
    .where('status', status)
    .modify((q) => (partners ? q.whereIn('partner', partners) : q))
    .groupBy('partner');
  return toMap(rows);
}

/**
 * Counts one status's rows by partner through idx_webhook_outbox_stats (status, partner). Exactly
 * when `exact`, on SQLite, or when the status has at most `exactUpTo` rows (found by reading at most
 * that many index entries). Otherwise it counts the rows in evenly spaced windows of the status's id
 * span, `sampleIds` ids in all, and scales up: ids grow with time and every status is spread
 * smoothly over them, so a few percent of the span gives each partner's figure within a few percent.
 */
export async function countStatus(
  knex: Knex,
  dialect: Dialect,
  status: OutboxStatus,
  options: { exact: boolean; limits: StatusCountLimits },
): Promise<StatusCounts> {
  const exactly = async (): Promise<StatusCounts> => ({ byPartner: await exactCounts(knex, status), estimated: false });
  if (options.exact || dialect.name !== 'mysql') return exactly();
  const { exactUpTo, sampleIds } = options.limits;
  const probe = knex(OUTBOX_TABLE).select(knex.raw('1')).where('status', status).limit(exactUpTo + 1);
  const [capped] = await knex.from(probe.as('capped')).count({ n: '*' });
  if (Number(capped?.n ?? 0) <= exactUpTo) return exactly();

  const [span] = await knex(OUTBOX_TABLE).min({ lo: 'id' }).max({ hi: 'id' }).where('status', status);
  const lo = Number(span?.lo);
  const width = Number(span?.hi) - lo + 1;
  // Every (status, partner) pair, one index dive each ("Using index for group-by"): with the status
  // in a WHERE clause MariaDB reads the status's whole range instead.
  const pairs: Array<{ status: string; partner: string }> = await knex(OUTBOX_TABLE).select('status', 'partner').groupBy('status', 'partner');
  const partners = pairs.filter((p) => p.status === status).map((p) => p.partner);
  if (width <= sampleIds || partners.length === 0) return exactly();
  const windows = Math.max(1, Math.min(MAX_WINDOWS, Math.floor(MAX_RANGES / partners.length)));
  const windowIds = Math.max(1, Math.floor(sampleIds / windows));
  const ranges = Array.from({ length: windows }, (_, i): [number, number] => {
    const start = lo + Math.floor((i * width) / windows);
    return [start, start + windowIds - 1];
  });
  const sampled: Array<{ partner: string; n: number | string }> = await knex
    .from(knex.raw('?? FORCE INDEX (??)', [OUTBOX_TABLE, 'idx_webhook_outbox_stats']))
    .select('partner')
    .count({ n: '*' })
    .where('status', status)
    .whereIn('partner', partners)
    .andWhere((q) => {
      for (const [from, to] of ranges) q.orWhereBetween('id', [from, to]);
    })
    .groupBy('partner');
  const scale = width / (windows * windowIds);
  const hits = toMap(sampled);
  const byPartner = new Map(partners.map((p) => [p, Math.round((hits.get(p) ?? 0) * scale)]));
  // A partner seen a few times in the sample (or not at all) would get a rough figure, or none: its
  // rows are few, so they are counted instead, as long as all of them together stay within the bound.
  const rare = partners.filter((p) => (hits.get(p) ?? 0) < RARE_HITS);
  const rareRows = rare.reduce((sum, p) => sum + (hits.get(p) ?? 1) * scale, 0);
  if (rare.length > 0 && rareRows <= exactUpTo) {
    for (const [partner, n] of await exactCounts(knex, status, rare)) byPartner.set(partner, n);
  }
  return { byPartner, estimated: true };
}

function toMap(rows: ReadonlyArray<{ partner: string; n: number | string }>): Map<string, number> {
  return new Map(rows.map((r) => [r.partner, Number(r.n)]));
}
