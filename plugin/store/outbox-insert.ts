import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { toDbTime } from './time.js';

export const DEDUPE_TABLE = 'webhook_dedupe';
export const OUTBOX_TABLE = 'webhook_outbox';

export interface InboundEvent {
  partner: string;
  eventId: string;
  eventType: string | null;
  payload: string;
  /** JSON of the stored request headers. */
  headers: string;
  /**
   * Hex SHA-256 of the raw body when a byte-identical body must count as the same event (schemes
   * that sign neither id nor timestamp); null otherwise.
   */
  bodySha256: string | null;
  /** Issue 12: the record and version read at ingest; absent or null for unordered events. */
  order?: InboundOrder | null;
  /** How `payload` is written (bodies/payload-format.ts): absent or null for JSON. */
  payloadFormat?: string | null;
}

export interface InboundOrder {
  key: string;
  version: number;
  /** The partner's onDead policy when the event arrived. */
  onDead: 'continue' | 'block';
}

/** A lease taken in the same transaction that writes the row, for events this process will run. */
export interface InsertClaim {
  lockedBy: string;
  lockedUntilMs: number;
}

export type InsertOutcome = 'accepted' | 'duplicate';

export interface InsertResult {
  outcome: InsertOutcome;
  /** The event id to answer with: the request's own, or for a duplicate the id of the event it repeats. */
  eventId: string;
  /** The outbox row's id, for rows written with a claim (null otherwise). */
  outboxId: number | null;
}

const keyOf = (e: { partner: string; eventId: string }) => `${e.partner}\u0000${e.eventId}`;

/**
 * Largest multi-row INSERT this module sends, counted in payload and header characters (a UTF-8
 * character is up to 4 bytes, escaping adds a little). MySQL refuses a statement larger than
 * max_allowed_packet (16 MiB by default, 4 MiB on old servers) and drops the connection, which would
 * turn a burst of large events into 503s; a batch is split into statements of about 1 MiB instead.
 */
const MAX_STATEMENT_BYTES = 1024 * 1024;

/**
 * Rows per multi-row INSERT at most: knex writes SQLite's as a compound SELECT, which SQLite caps at
 * 500 terms; MySQL has no such cap but gains nothing from more.
 */
const MAX_STATEMENT_ROWS = 500;

/** Consecutive chunks of at most `maxItems` whose summed size stays under `maxBytes` (a larger item gets a chunk of its own). */
export function chunked<T>(items: readonly T[], limits: { maxItems: number; maxBytes: number; sizeOf: (item: T) => number }): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const itemSize = limits.sizeOf(item);
    if (current.length > 0 && (size + itemSize > limits.maxBytes || current.length >= limits.maxItems)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += itemSize;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Writes a batch of events inside `trx`: a dedupe row for each new (partner, event id) and an outbox
 * row for each dedupe row actually inserted. Returns, per input, whether it was new. A repeated key
 * within the batch is a duplicate of its first occurrence. `claims[i]` (when given) makes the
 * outbox row start as `processing`, leased to this process, so the fast path needs no second write.
 */
export async function insertEvents(
  trx: Knex.Transaction,
  dialect: Dialect,
  events: readonly InboundEvent[],
  receivedAtMs: number,
  claims: readonly (InsertClaim | null)[] = [],
): Promise<InsertResult[]> {
  const receivedAt = toDbTime(receivedAtMs);
  const firstIndex = new Map<string, number>();
  events.forEach((event, i) => {
    if (!firstIndex.has(keyOf(event))) firstIndex.set(keyOf(event), i);
  });
  const candidates = [...firstIndex.values()].sort((a, b) => compareKeys(events[a]!, events[b]!));
  const dedupe = await insertDedupeRows(trx, dialect, candidates.map((i) => events[i]!), receivedAt);
  const fresh = dedupe.map((d) => d === true);
  const originalIds = new Map<number, string>();
  candidates.forEach((i, n) => {
    const d = dedupe[n];
    if (typeof d === 'string') originalIds.set(i, d);
  });

  const newIndexes = candidates.filter((_, n) => fresh[n]);
  // Claims of one batch share one lease object: format its time once.
  const leaseTexts = new Map<InsertClaim, string>();
  const lockedUntilText = (claim: InsertClaim) => leaseTexts.get(claim) ?? leaseTexts.set(claim, toDbTime(claim.lockedUntilMs)).get(claim)!;
  const rows = newIndexes.map((i) => {
    const event = events[i]!;
    // Ordered rows are never claimed at insert: only the claim query knows whether an earlier event
    // of the same key is still unfinished (issue 12). Their claim goes back unused.
    const claim = event.order ? null : claims[i] ?? null;
    return {
      partner: event.partner,
      event_id: event.eventId,
      event_type: event.eventType,
      payload: event.payload,
      payload_format: event.payloadFormat ?? null,
      headers: event.headers,
      status: claim ? 'processing' : 'pending',
      attempts: claim ? 1 : 0,
      next_attempt_at: receivedAt,
      locked_by: claim?.lockedBy ?? null,
      locked_until: claim ? lockedUntilText(claim) : null,
      received_at: receivedAt,
      ...orderColumns(event.order),
    };
  });
  for (const chunk of chunked(rows, { maxItems: MAX_STATEMENT_ROWS, maxBytes: MAX_STATEMENT_BYTES, sizeOf: (row) => row.payload.length + row.headers.length })) {
    await trx(OUTBOX_TABLE).insert(chunk);
  }
  const accepted = new Set(newIndexes);
  const ids = await claimedRowIds(trx, events, newIndexes.filter((i) => claims[i] && !events[i]!.order), claims);
  return events.map((event, i) => ({
    outcome: accepted.has(i) ? 'accepted' : 'duplicate',
    // A repeat within the batch answers like its first occurrence.
    eventId: originalIds.get(firstIndex.get(keyOf(event))!) ?? event.eventId,
    outboxId: accepted.has(i) ? ids.get(keyOf(event)) ?? null : null,
  }));
}

/** Every row names the columns: a multi-row INSERT needs the same columns in each row. */
function orderColumns(order: InboundOrder | null | undefined) {
  return { order_key: order?.key ?? null, order_version: order?.version ?? null, order_on_dead: order?.onDead ?? null };
}

/**
 * Ids of the rows this batch wrote as claimed, read back inside the transaction. Multi-row INSERT
 * reports only the first id, and consecutive ids are not promised (innodb_autoinc_lock_mode=2,
 * auto_increment_increment), so the rows are found by key, one indexed query per partner.
 */
async function claimedRowIds(
  trx: Knex.Transaction,
  events: readonly InboundEvent[],
  indexes: readonly number[],
  claims: readonly (InsertClaim | null)[],
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const byPartner = new Map<string, { lockedBy: string; eventIds: string[] }>();
  for (const i of indexes) {
    const { partner, eventId } = events[i]!;
    const group = byPartner.get(partner) ?? { lockedBy: claims[i]!.lockedBy, eventIds: [] };
    group.eventIds.push(eventId);
    byPartner.set(partner, group);
  }
  for (const [partner, { lockedBy, eventIds }] of byPartner) {
    const rows: Array<{ id: number | string; event_id: string }> = await trx(OUTBOX_TABLE)
      .select('id', 'event_id')
      .where({ partner, status: 'processing', locked_by: lockedBy })
      .whereIn('event_id', eventIds);
    for (const row of rows) ids.set(keyOf({ partner, eventId: row.event_id }), Number(row.id));
  }
  return ids;
}

/**
 * Inserts dedupe rows; returns per row `true` when it was new, else the event id of the row it
 * repeats (its own id, or another id whose body had the same hash). The common case (nothing seen
 * before) is one multi-row INSERT. A duplicate key, on the id or on the body hash, fails that whole
 * statement (and only it), after which each row is tried alone with INSERT IGNORE, whose
 * affected-row count says whether it was new. Rows go in key order, so two concurrent batches lock
 * keys in the same order and do not deadlock.
 */
async function insertDedupeRows(
  trx: Knex.Transaction,
  dialect: Dialect,
  events: readonly InboundEvent[],
  receivedAt: string,
): Promise<Array<true | string>> {
  const rows = events.map((e) => ({ partner: e.partner, event_id: e.eventId, body_sha256: e.bodySha256, received_at: receivedAt }));
  const fresh: Array<true | string> = [];
  try {
    for (const chunk of chunked(rows, { maxItems: MAX_STATEMENT_ROWS, maxBytes: Number.POSITIVE_INFINITY, sizeOf: () => 0 })) {
      await trx(DEDUPE_TABLE).insert(chunk);
      fresh.push(...chunk.map(() => true as const)); // inserted in this transaction: new
    }
    return fresh;
  } catch (error) {
    if (!dialect.isDuplicateKey(error)) throw error;
  }
  for (const row of rows.slice(fresh.length)) {
    // No conflict target: a clash on either unique key (id or body hash) makes the row a duplicate.
    const { sql, bindings } = trx(DEDUPE_TABLE).insert(row).onConflict().ignore().toSQL();
    if (dialect.affectedRows(await trx.raw(sql, bindings)) === 1) fresh.push(true);
    else fresh.push(await originalEventId(trx, dialect, row));
  }
  return fresh;
}

/**
 * The event a refused dedupe row repeats. A locking read on MySQL: a plain read could use a snapshot
 * taken before the clashing row committed and find nothing. The id match wins over the hash match;
 * a row pruned in between leaves the request's own id.
 */
async function originalEventId(
  trx: Knex.Transaction,
  dialect: Dialect,
  row: { partner: string; event_id: string; body_sha256: string | null },
): Promise<string> {
  let query = trx(DEDUPE_TABLE)
    .select('event_id')
    .where('partner', row.partner)
    .andWhere((q) => {
      q.where('event_id', row.event_id);
      if (row.body_sha256 !== null) q.orWhere('body_sha256', row.body_sha256);
    });
  if (dialect.name === 'mysql') query = query.forShare();
  const found: Array<{ event_id: string }> = await query;
  if (found.some((r) => r.event_id === row.event_id)) return row.event_id;
  return found[0]?.event_id ?? row.event_id;
}

function compareKeys(a: InboundEvent, b: InboundEvent): number {
  if (a.partner !== b.partner) return a.partner < b.partner ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}
