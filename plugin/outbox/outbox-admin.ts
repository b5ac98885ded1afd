import type { Knex } from 'knex';
import { WebhookError } from '../errors.js';
import { isValidSlug } from '../partners/slug.js';
import { createDbClock } from '../store/db-clock.js';
import type { Dialect } from '../store/dialect.js';
import { OUTBOX_STATUSES, type Clock, type OutboxStatus } from '../types.js';
import type { BatchProgress } from './batches.js';
import { findOutboxRow, listOutboxRows } from '../store/outbox-list.js';
import type { OutboxRowDetail, OutboxRowView } from '../store/outbox-rows.js';
import { readOutboxStats, type OutboxStats, type OutboxStatsReport } from '../store/outbox-stats.js';
import { pruneDedupeRows, pruneFinishedRows, type PrunedTable } from './prune.js';
import { replayDead, replayIds, type ReplayResult } from './replay.js';

export type { BatchProgress } from './batches.js';
export type { OutboxRowDetail, OutboxRowView } from '../store/outbox-rows.js';
export type { OutboxStats, OutboxStatsReport } from '../store/outbox-stats.js';
export type { ReplayResult } from './replay.js';

export interface OutboxAdminDeps {
  knex: Knex;
  dialect: Dialect;
  clock: Clock;
}

export interface ListOutboxFilter {
  status?: OutboxStatus | undefined;
  partner?: string | undefined;
  limit?: number | undefined;
}

export interface BatchOptions<P> {
  batchSize?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: P) => void) | undefined;
}

export interface PruneOptions extends BatchOptions<BatchProgress & { table: PrunedTable }> {
  doneOlderThanMs: number;
  /** The dedupe window: never applied shorter than doneOlderThanMs (see dedupeWindowMs). */
  dedupeOlderThanMs: number;
  /** Dead rows that died longer ago than this go too; undefined keeps them until replayed. */
  deadOlderThanMs?: number | undefined;
  /** How many DELETE batches run at once (1 to MAX_PRUNE_STREAMS; DEFAULT_PRUNE_STREAMS unless given). */
  streams?: number | undefined;
}

/**
 * The one rule for how long dedupe rows stay, whichever way pruning runs (CLI, admin or background
 * retention): the dedupe window, and never less than done rows are kept. A dedupe row pruned while
 * its done row is still there would let a redelivery in as a new event and apply it twice. Dedupe
 * rows of dead (and other unfinished) events stay as long as their outbox row, whatever the window.
 */
export function dedupeWindowMs(options: { dedupeOlderThanMs: number; doneOlderThanMs: number }): number {
  return Math.max(options.dedupeOlderThanMs, options.doneOlderThanMs);
}

export interface OutboxAdmin {
  /** Counts by status and partner; on a big table the done figures are estimates unless `exact` (see statsReport). */
  stats(options?: { exact?: boolean | undefined }): Promise<OutboxStats>;
  /** The same, saying which statuses were estimated. */
  statsReport(options?: { exact?: boolean | undefined }): Promise<OutboxStatsReport>;
  list(filter?: ListOutboxFilter): Promise<OutboxRowView[]>;
  show(id: number): Promise<OutboxRowDetail>;
  replay(ids: number[]): Promise<ReplayResult>;
  replayWhere(filter: { status: 'dead'; partner?: string | undefined }, options?: BatchOptions<BatchProgress>): Promise<{ replayed: number; batches: number; interrupted: boolean }>;
  prune(options: PruneOptions): Promise<{ outbox: number; dedupe: number; batches: number; interrupted: boolean }>;
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;
export const MAX_REPLAY_IDS = 1000;
export const DEFAULT_BATCH_SIZE = 1000;
const MAX_BATCH_SIZE = 100_000;
/**
 * DELETE batches a prune keeps in flight. One by default: with a 128 MiB buffer pool one stream
 * deletes done rows at 11,700–14,700 rows/s at 1.3–1.4M rows beside live ingest (docs/dba.md, "At
 * scale"), and in an earlier round (before migration 20261202001200) two or three streams gained
 * only 10–17 % while taking ingest's p99 to 2.6–3.8× its idle value. More streams suit a one-off
 * large prune in a quiet hour. SQLite runs one statement at a time whatever this says.
 */
export const DEFAULT_PRUNE_STREAMS = 1;
export const MAX_PRUNE_STREAMS = 8;

const badRequest = (message: string) => new WebhookError(400, 'bad_request', message);

const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;

function checkInt(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw badRequest(`${name} must be a whole number from 1 to ${max}`);
  return value;
}

function checkPartner(partner: string | undefined): string | undefined {
  if (partner !== undefined && !isValidSlug(partner)) throw badRequest('partner must be 1 to 64 of a-z, 0-9, "-" and "_"');
  return partner;
}

function checkWindow(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw badRequest(`${name} must be a number of milliseconds, 0 or more`);
  return value;
}

/**
 * Outbox administration shared by the CLI, the admin routes and background retention. Validates
 * its input (WebhookError 400/404), and reads "now" from the database so windows and due times agree
 * with every process sharing it.
 */
export function createOutboxAdmin(deps: OutboxAdminDeps): OutboxAdmin {
  const { knex, dialect } = deps;
  const dbClock = createDbClock(knex, dialect, deps.clock);
  const dbNow = async () => {
    await dbClock.sync();
    return dbClock.now();
  };

  return {
    stats: async (options = {}) => (await readOutboxStats(knex, dialect, options)).stats,
    statsReport: (options = {}) => readOutboxStats(knex, dialect, options),

    async list(filter = {}) {
      if (filter.status !== undefined && !OUTBOX_STATUSES.includes(filter.status)) {
        throw badRequest(`status must be one of ${OUTBOX_STATUSES.join(', ')}`);
      }
      const limit = checkInt('limit', filter.limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
      return listOutboxRows(knex, dialect, { status: filter.status, partner: checkPartner(filter.partner), limit });
    },

    async show(id) {
      const row = isId(id) ? await findOutboxRow(knex, dialect, id) : null;
      if (!row) throw new WebhookError(404, 'not_found', `no outbox row ${String(id)}`);
      return row;
    },

    async replay(ids) {
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every(isId)) throw badRequest('ids must be a non-empty list of positive whole numbers');
      if (ids.length > MAX_REPLAY_IDS) throw badRequest(`at most ${MAX_REPLAY_IDS} ids at once; use a replay by status for more`);
      return replayIds(knex, [...new Set(ids)], await dbNow());
    },

    async replayWhere(filter, options = {}) {
      if (filter?.status !== 'dead') throw badRequest('only dead rows can be replayed by status');
      const run = await replayDead(knex, dialect, await dbNow(), {
        partner: checkPartner(filter.partner),
        batchSize: checkInt('batchSize', options.batchSize, DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE),
        signal: options.signal,
        onProgress: options.onProgress,
      });
      return { replayed: run.changed, batches: run.batches, interrupted: run.interrupted };
    },

    async prune(options) {
      const doneWindow = checkWindow('doneOlderThanMs', options.doneOlderThanMs);
      const dedupeWindow = dedupeWindowMs({ dedupeOlderThanMs: checkWindow('dedupeOlderThanMs', options.dedupeOlderThanMs), doneOlderThanMs: doneWindow });
      const deadWindow = options.deadOlderThanMs === undefined ? undefined : checkWindow('deadOlderThanMs', options.deadOlderThanMs);
      const batchSize = checkInt('batchSize', options.batchSize, DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE);
      const now = await dbNow();
      const requested = checkInt('streams', options.streams, DEFAULT_PRUNE_STREAMS, MAX_PRUNE_STREAMS);
      const streams = dialect.name === 'sqlite' ? 1 : requested;
      const common = { batchSize, streams, signal: options.signal, onProgress: options.onProgress };
      // Outbox first: dedupe rows of events pruned in the same run become free to go right after.
      let outbox = await pruneFinishedRows(knex, dialect, 'done', { ...common, cutoffMs: now - doneWindow });
      if (deadWindow !== undefined && !outbox.interrupted) {
        const dead = await pruneFinishedRows(knex, dialect, 'dead', { ...common, cutoffMs: now - deadWindow });
        outbox = { changed: outbox.changed + dead.changed, batches: outbox.batches + dead.batches, interrupted: dead.interrupted };
      }
      if (outbox.interrupted) return { outbox: outbox.changed, dedupe: 0, batches: outbox.batches, interrupted: true };
      const dedupe = await pruneDedupeRows(knex, dialect, { ...common, cutoffMs: now - dedupeWindow });
      return { outbox: outbox.changed, dedupe: dedupe.changed, batches: outbox.batches + dedupe.batches, interrupted: dedupe.interrupted };
    },
  };
}
