import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { OUTBOX_TABLE } from './outbox-insert.js';
import { whereOrderAllows } from './order-claim.js';
import { fromDbTime, toDbTime } from './time.js';

/**
 * The worker's queries on webhook_outbox. Every write to a claimed row is fenced by
 * (locked_by, attempts): a process that lost its lease (it was too slow, or paused) cannot mark a
 * row that another process has claimed since, because that claim changed `attempts`.
 */
export interface ClaimedEvent {
  outboxId: number;
  partner: string;
  eventId: string;
  eventType: string | null;
  payload: string;
  /** How `payload` is written (bodies/payload-format.ts): null or absent for JSON. */
  payloadFormat?: string | null;
  receivedAtMs: number;
  /** `attempts` after this claim: 1 on the first try. Part of the fence. */
  attempt: number;
  lockedBy: string;
  lockedUntilMs: number;
  /** The record this event changes and its version (issue 12); absent or null for unordered events. */
  order?: EventOrder | null;
}

export interface EventOrder {
  key: string;
  version: number;
}

export interface Fence {
  outboxId: number;
  lockedBy: string;
  attempt: number;
}

interface ClaimedRow {
  id: number | string;
  partner: string;
  event_id: string;
  event_type: string | null;
  payload: string;
  payload_format: string | null;
  received_at: string | Date;
  attempts: number | string;
  locked_by: string;
  locked_until: string | Date;
  order_key: string | null;
  order_version: number | string | null;
}

const CLAIM_COLUMNS = ['id', 'partner', 'event_id', 'event_type', 'payload', 'payload_format', 'received_at', 'attempts', 'locked_by', 'locked_until', 'order_key', 'order_version'];

function toClaimedEvent(row: ClaimedRow): ClaimedEvent {
  return {
    outboxId: Number(row.id),
    partner: row.partner,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: row.payload,
    payloadFormat: row.payload_format,
    receivedAtMs: fromDbTime(row.received_at).getTime(),
    attempt: Number(row.attempts),
    lockedBy: row.locked_by,
    lockedUntilMs: fromDbTime(row.locked_until).getTime(),
    order: row.order_key === null || row.order_version === null ? null : { key: row.order_key, version: Number(row.order_version) },
  };
}

function fenced(db: Knex | Knex.Transaction, fence: Fence) {
  return db(OUTBOX_TABLE).where({ id: fence.outboxId, status: 'processing', locked_by: fence.lockedBy, attempts: fence.attempt });
}

/**
 * Claims up to `limit` due pending rows. On MySQL/MariaDB the candidates are locked with
 * FOR UPDATE SKIP LOCKED, so concurrent pollers in other processes take different rows instead of
 * queueing behind each other; the transaction lasts only for the claim, never while handlers run.
 * SQLite has one writer at a time, so its claim is a plain conditional UPDATE; either way, rows are
 * read back by this claim's exact (locked_by, locked_until).
 */
export async function claimDue(
  knex: Knex,
  dialect: Dialect,
  claim: { lockedBy: string; nowMs: number; claimMs: number; limit: number },
): Promise<ClaimedEvent[]> {
  const now = toDbTime(claim.nowMs);
  const lockedUntil = toDbTime(claim.nowMs + claim.claimMs);
  return knex.transaction(async (trx): Promise<ClaimedEvent[]> => {
    let candidates = trx(OUTBOX_TABLE)
      .select('id')
      .where('status', 'pending')
      .andWhere('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(claim.limit);
    // Issue 12: an ordered row waits while an earlier event of its key is unfinished. Unordered rows
    // (order_key NULL) pass on the first test and never reach the subquery.
    candidates = whereOrderAllows(candidates, trx, dialect);
    if (dialect.name === 'mysql') candidates = candidates.forUpdate().skipLocked();
    const ids = (await candidates).map((r: { id: number | string }) => Number(r.id));
    if (ids.length === 0) return [];
    await trx(OUTBOX_TABLE)
      .whereIn('id', ids)
      .andWhere('status', 'pending')
      .update({ status: 'processing', locked_by: claim.lockedBy, locked_until: lockedUntil, attempts: trx.raw('attempts + 1') });
    const rows: ClaimedRow[] = await trx(OUTBOX_TABLE)
      .select(CLAIM_COLUMNS)
      .whereIn('id', ids)
      .andWhere({ status: 'processing', locked_by: claim.lockedBy, locked_until: lockedUntil })
      .orderBy('id')
      .options(dialect.readOptions);
    return rows.map(toClaimedEvent);
  }, dialect.shortTransaction);
}

/** Marks a claimed row done inside the handlers' transaction; false when the claim was lost. */
export async function markDone(trx: Knex.Transaction, fence: Fence, nowMs: number): Promise<boolean> {
  const changed = await fenced(trx, fence).update({
    status: 'done',
    locked_by: null,
    locked_until: null,
    last_error: null,
    processed_at: toDbTime(nowMs),
    handlers_started_at: null,
  });
  return changed === 1;
}

/** Fences grouped by claim holder and attempt, so one statement can check a whole group. */
function byClaim(fences: readonly Fence[]): Array<{ lockedBy: string; attempt: number; ids: number[] }> {
  const groups = new Map<string, { lockedBy: string; attempt: number; ids: number[] }>();
  for (const fence of fences) {
    const key = `${fence.lockedBy}\u0000${fence.attempt}`;
    const group = groups.get(key) ?? { lockedBy: fence.lockedBy, attempt: fence.attempt, ids: [] };
    group.ids.push(fence.outboxId);
    groups.set(key, group);
  }
  return [...groups.values()];
}

const claimedBy = (db: Knex | Knex.Transaction, group: { lockedBy: string; attempt: number; ids: number[] }) =>
  db(OUTBOX_TABLE).whereIn('id', group.ids).andWhere({ status: 'processing', locked_by: group.lockedBy, attempts: group.attempt });

/**
 * `UPDATE webhook_outbox SET <changes>` on a claim group's rows still held by that claim, as raw SQL:
 * the processing of every batch sends two of these, and knex's query builder cost more CPU than the
 * rest of the statement (issue 15).
 */
function updateClaimed(group: { lockedBy: string; attempt: number; ids: number[] }, changes: Readonly<Record<string, unknown>>): { sql: string; bindings: unknown[] } {
  const columns = Object.keys(changes);
  const ids = group.ids.map(() => '?').join(', ');
  return {
    sql: `update \`${OUTBOX_TABLE}\` set ${columns.map((c) => `\`${c}\` = ?`).join(', ')} where \`id\` in (${ids}) and \`status\` = 'processing' and \`locked_by\` = ? and \`attempts\` = ?`,
    bindings: [...columns.map((c) => changes[c]), ...group.ids, group.lockedBy, group.attempt],
  };
}

async function runUpdate(db: Knex | Knex.Transaction, dialect: Dialect, statement: { sql: string; bindings: unknown[] }): Promise<number> {
  return dialect.affectedRows(await db.raw(statement.sql, statement.bindings as Knex.RawBinding[]));
}

/**
 * Marks many claimed rows done in one statement per claim group, inside the transaction that holds
 * their handlers' writes. Returns false unless every row was still held by its claim; the caller
 * then rolls back.
 */
export async function markManyDone(trx: Knex.Transaction, dialect: Dialect, fences: readonly Fence[], nowMs: number): Promise<boolean> {
  const changes = { status: 'done', locked_by: null, locked_until: null, last_error: null, processed_at: toDbTime(nowMs), handlers_started_at: null };
  for (const group of byClaim(fences)) {
    if ((await runUpdate(trx, dialect, updateClaimed(group, changes))) !== group.ids.length) return false;
  }
  return true;
}

/**
 * Extends the leases of rows this process holds (waiting in memory or running), so that only a
 * process that stopped renewing (it died or froze) loses them. Returns the ids still held.
 */
export async function heartbeatClaims(knex: Knex, fences: readonly Fence[], lockedUntilMs: number): Promise<Set<number>> {
  const lockedUntil = toDbTime(lockedUntilMs);
  const held = new Set<number>();
  for (const group of byClaim(fences)) {
    const changed = await claimedBy(knex, group).update({ locked_until: lockedUntil });
    const ids =
      changed === group.ids.length
        ? group.ids
        : (await claimedBy(knex, group).andWhere({ locked_until: lockedUntil }).select('id')).map((r: { id: number | string }) => Number(r.id));
    for (const id of ids) held.add(id);
  }
  return held;
}

/** Records a failed attempt: back to pending with a due time, or dead when `retryAtMs` is null. */
export async function markFailed(
  knex: Knex | Knex.Transaction,
  fence: Fence,
  failure: { error: string; retryAtMs: number | null; nowMs: number },
): Promise<boolean> {
  const changed = await fenced(knex, fence).update({
    status: failure.retryAtMs === null ? 'dead' : 'pending',
    locked_by: null,
    locked_until: null,
    last_error: failure.error,
    next_attempt_at: toDbTime(failure.retryAtMs ?? failure.nowMs),
    processed_at: failure.retryAtMs === null ? toDbTime(failure.nowMs) : null,
    handlers_started_at: null,
  });
  return changed === 1;
}

/**
 * Records, durably and before any handler runs, that these claims are about to run their handlers,
 * and renews their leases for the run: one statement per claim group, so a batch costs one write.
 * Only a claim marked here is charged an attempt when its process dies (recoverExpiredClaims), so
 * a handler that kills its process cannot take the events merely waiting beside it to `dead`.
 * Returns the ids still held; the others were lost and must not run.
 */
export async function markHandlersStarted(
  knex: Knex,
  dialect: Dialect,
  fences: readonly Fence[],
  times: { nowMs: number; lockedUntilMs: number },
): Promise<Set<number>> {
  const changes = { handlers_started_at: toDbTime(times.nowMs), locked_until: toDbTime(times.lockedUntilMs) };
  const held = new Set<number>();
  for (const group of byClaim(fences)) {
    const changed = await runUpdate(knex, dialect, updateClaimed(group, changes));
    const ids =
      changed === group.ids.length
        ? group.ids
        : (await claimedBy(knex, group).andWhere(changes).select('id')).map((r: { id: number | string }) => Number(r.id));
    for (const id of ids) held.add(id);
  }
  return held;
}

/**
 * Gives claimed rows back as pending and due now, so any process takes them without waiting for the
 * lease. `started: false` (never handed to a handler) also gives the attempt back.
 */
export async function releaseClaims(knex: Knex, fences: readonly Fence[], options: { started: boolean; nowMs: number }): Promise<number> {
  let released = 0;
  // One statement per claim group (usually one in all): at stop, the host may close the pool at any
  // moment, and a statement that already holds a connection still completes.
  for (const group of byClaim(fences)) {
    released += await claimedBy(knex, group).update({
      status: 'pending',
      locked_by: null,
      locked_until: null,
      next_attempt_at: toDbTime(options.nowMs),
      attempts: options.started ? group.attempt : group.attempt - 1,
      handlers_started_at: null,
    });
  }
  return released;
}

/**
 * Takes back rows whose lease passed (their process died or hung). Attempts are counted when a row
 * is claimed, so a claim that never reached its handlers (`handlers_started_at` NULL: it only
 * waited in memory) gets its attempt back and keeps its last error: the crash was not its doing.
 * A row whose handlers had started keeps the attempt, and on its last one goes dead rather than
 * pending, so an event that crashes its process every time cannot crash every process forever.
 * The rows are found with a plain read and changed by primary key, so no range of the index is
 * locked against the inserts and claims running meanwhile.
 */
export async function recoverExpiredClaims(
  knex: Knex,
  options: { nowMs: number; maxAttempts: number },
): Promise<{ pending: number; dead: number; notStarted: number }> {
  const now = toDbTime(options.nowMs);
  const expired: Array<{ id: number | string; attempts: number | string; handlers_started_at: unknown }> = await knex(OUTBOX_TABLE)
    .select('id', 'attempts', 'handlers_started_at')
    .where('status', 'processing')
    .andWhere('locked_until', '<', now)
    .limit(1000);
  const started = expired.filter((r) => r.handlers_started_at !== null);
  const ids = (rows: typeof expired) => rows.map((r) => Number(r.id));
  const stillExpired = (list: number[]) => knex(OUTBOX_TABLE).whereIn('id', list).andWhere('status', 'processing').andWhere('locked_until', '<', now);
  const notStartedIds = ids(expired.filter((r) => r.handlers_started_at === null));
  const deadIds = ids(started.filter((r) => Number(r.attempts) >= options.maxAttempts));
  const pendingIds = ids(started.filter((r) => Number(r.attempts) < options.maxAttempts));
  const notStarted = notStartedIds.length === 0 ? 0 : await stillExpired(notStartedIds).whereNull('handlers_started_at').update({
    status: 'pending',
    locked_by: null,
    locked_until: null,
    next_attempt_at: now,
    attempts: knex.raw('CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END'),
  });
  const dead = deadIds.length === 0 ? 0 : await stillExpired(deadIds).whereNotNull('handlers_started_at').update({
    status: 'dead',
    locked_by: null,
    locked_until: null,
    handlers_started_at: null,
    processed_at: now,
    last_error: 'lease expired on the last attempt (process died or hung)',
  });
  const pending = pendingIds.length === 0 ? 0 : await stillExpired(pendingIds).whereNotNull('handlers_started_at').update({
    status: 'pending',
    locked_by: null,
    locked_until: null,
    handlers_started_at: null,
    next_attempt_at: now,
    last_error: 'lease expired (process died or hung)',
  });
  return { pending, dead, notStarted };
}
