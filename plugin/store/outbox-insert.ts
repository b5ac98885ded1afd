import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { sessionOf, type StatementSession } from './connection-transaction.js';
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
 * Rows per multi-row INSERT at most: SQLite takes at most 32,766 bound values per statement (an
 * outbox row binds 14, and each added column counts per row); MySQL has no such cap but gains
 * nothing from more.
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
 * What the server offers the insert: `returning` when INSERT ... RETURNING exists (MariaDB 10.5+,
 * SQLite 3.35+; not MySQL 8), so the claimed rows' ids come back with the INSERT itself instead of
 * a second read. Read once per process with detectInsertCapabilities.
 */
export interface InsertCapabilities {
  returning: boolean;
}

/** The portable answer: what every supported server can do (MySQL 8 has no INSERT ... RETURNING). */
export const BASIC_INSERT: InsertCapabilities = Object.freeze({ returning: false });

/**
 * Asks the server once. A multi-row INSERT's `insertId` is not used: consecutive ids are not promised
 * (innodb_autoinc_lock_mode=2 interleaves concurrent inserts; auto_increment_increment may not be 1),
 * so without RETURNING the ids are read back by key.
 */
export async function detectInsertCapabilities(knex: Knex, dialect: Dialect): Promise<InsertCapabilities> {
  const sql = dialect.name === 'mysql' ? 'select version() as v' : 'select sqlite_version() as v';
  const version = String(dialect.rawRows<{ v: unknown }>(await knex.raw(sql))[0]?.v ?? '');
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  if (dialect.name === 'sqlite') return { returning: major > 3 || (major === 3 && minor >= 35) };
  return { returning: /mariadb/i.test(version) && (major > 10 || (major === 10 && minor >= 5)) };
}

/** A new outbox row: its event, and the claim it is written with (null: written pending). */
interface NewRow {
  event: InboundEvent;
  claim: InsertClaim | null;
  lockedUntil: string | null;
  receivedAt: string;
}

/**
 * The outbox row ingest writes, one entry per column: the multi-row INSERT is built from this list
 * as raw SQL (knex's query builder cost more CPU per event than the rest of the statement).
 */
const OUTBOX_ROW: ReadonlyArray<readonly [column: string, value: (row: NewRow) => unknown]> = [
  ['partner', (r) => r.event.partner],
  ['event_id', (r) => r.event.eventId],
  ['event_type', (r) => r.event.eventType],
  ['payload', (r) => r.event.payload],
  ['payload_format', (r) => r.event.payloadFormat ?? null],
  ['headers', (r) => r.event.headers],
  ['status', (r) => (r.claim ? 'processing' : 'pending')],
  ['attempts', (r) => (r.claim ? 1 : 0)],
  ['next_attempt_at', (r) => r.receivedAt],
  ['locked_by', (r) => r.claim?.lockedBy ?? null],
  ['locked_until', (r) => r.lockedUntil],
  ['received_at', (r) => r.receivedAt],
  ['order_key', (r) => r.event.order?.key ?? null],
  ['order_version', (r) => r.event.order?.version ?? null],
  ['order_on_dead', (r) => r.event.order?.onDead ?? null],
];

const DEDUPE_ROW: ReadonlyArray<readonly [column: string, value: (row: { event: InboundEvent; receivedAt: string }) => unknown]> = [
  ['partner', (r) => r.event.partner],
  ['event_id', (r) => r.event.eventId],
  ['body_sha256', (r) => r.event.bodySha256],
  ['received_at', (r) => r.receivedAt],
];

/** `insert into t (cols) values (?, ...), ...` for `rows` rows, and the values in the same order. */
function multiRowInsert<R>(table: string, columns: ReadonlyArray<readonly [string, (row: R) => unknown]>, rows: readonly R[]): { sql: string; bindings: unknown[] } {
  // Backquoted names are read as identifiers by MySQL and SQLite alike.
  const names = columns.map(([name]) => `\`${name}\``).join(', ');
  const group = `(${columns.map(() => '?').join(', ')})`;
  const bindings: unknown[] = [];
  for (const row of rows) for (const [, value] of columns) bindings.push(value(row));
  return { sql: `insert into \`${table}\` (${names}) values ${Array(rows.length).fill(group).join(', ')}`, bindings };
}

/**
 * Writes a batch of events inside `trx`: a dedupe row for each new (partner, event id) and an outbox
 * row for each dedupe row actually inserted. Returns, per input, whether it was new. A repeated key
 * within the batch is a duplicate of its first occurrence. `claims[i]` (when given) makes the
 * outbox row start as `processing`, leased to this process, so the fast path needs no second write.
 */
export function insertEvents(
  trx: Knex.Transaction,
  dialect: Dialect,
  events: readonly InboundEvent[],
  receivedAtMs: number,
  claims: readonly (InsertClaim | null)[] = [],
  capabilities: InsertCapabilities = BASIC_INSERT,
): Promise<InsertResult[]> {
  return insertEventsIn(sessionOf(trx), dialect, events, receivedAtMs, claims, capabilities);
}

/** insertEvents on any session: ingest's own transaction on a pooled connection (connection-transaction.ts). */
export async function insertEventsIn(
  trx: StatementSession,
  dialect: Dialect,
  events: readonly InboundEvent[],
  receivedAtMs: number,
  claims: readonly (InsertClaim | null)[] = [],
  capabilities: InsertCapabilities = BASIC_INSERT,
): Promise<InsertResult[]> {
  const receivedAt = toDbTime(receivedAtMs);
  const firstIndex = new Map<string, number>();
  events.forEach((event, i) => {
    if (!firstIndex.has(keyOf(event))) firstIndex.set(keyOf(event), i);
  });
  const candidates = [...firstIndex.values()].sort((a, b) => compareKeys(events[a]!, events[b]!));
  const dedupe = await insertDedupeRows(trx, dialect, candidates.map((i) => events[i]!), receivedAt);
  const originalIds = new Map<number, string>();
  const newIndexes: number[] = [];
  candidates.forEach((i, n) => {
    const d = dedupe[n];
    if (d === true) newIndexes.push(i);
    else if (typeof d === 'string') originalIds.set(i, d);
  });

  // Claims of one batch share one lease object: format its time once.
  const leaseTexts = new Map<InsertClaim, string>();
  const lockedUntilText = (claim: InsertClaim) => leaseTexts.get(claim) ?? leaseTexts.set(claim, toDbTime(claim.lockedUntilMs)).get(claim)!;
  const rows = newIndexes.map((i): NewRow => {
    const event = events[i]!;
    // Ordered rows are never claimed at insert: only the claim query knows whether an earlier event
    // of the same key is still unfinished (issue 12). Their claim goes back unused.
    const claim = event.order ? null : claims[i] ?? null;
    return { event, claim, lockedUntil: claim ? lockedUntilText(claim) : null, receivedAt };
  });
  const ids = new Map<string, number>();
  for (const chunk of chunked(rows, { maxItems: MAX_STATEMENT_ROWS, maxBytes: MAX_STATEMENT_BYTES, sizeOf: (row) => row.event.payload.length + row.event.headers.length })) {
    const { sql, bindings } = multiRowInsert(OUTBOX_TABLE, OUTBOX_ROW, chunk);
    // With RETURNING the claimed rows' ids come back with the insert: no second statement.
    const returning = capabilities.returning && chunk.some((row) => row.claim);
    const result = await trx.raw(returning ? `${sql} returning \`id\`, \`partner\`, \`event_id\`` : sql, bindings);
    if (returning) for (const row of dialect.rawRows<ReturnedId>(result)) ids.set(keyOf({ partner: row.partner, eventId: row.event_id }), Number(row.id));
  }
  const claimed = rows.filter((row) => row.claim);
  if (!capabilities.returning && claimed.length > 0) {
    for (const [key, id] of await claimedRowIds(trx, dialect, claimed)) ids.set(key, id);
  }
  const accepted = new Set(newIndexes);
  return events.map((event, i) => ({
    outcome: accepted.has(i) ? 'accepted' : 'duplicate',
    // A repeat within the batch answers like its first occurrence.
    eventId: originalIds.get(firstIndex.get(keyOf(event))!) ?? event.eventId,
    outboxId: accepted.has(i) && claims[i] && !event.order ? ids.get(keyOf(event)) ?? null : null,
  }));
}

interface ReturnedId {
  id: number | string;
  partner: string;
  event_id: string;
}

/**
 * Ids of the rows this batch wrote as claimed, read back inside the transaction, where the server
 * has no INSERT ... RETURNING (MySQL 8). The rows are found by key, one indexed query per partner.
 */
async function claimedRowIds(trx: StatementSession, dialect: Dialect, rows: readonly NewRow[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const byPartner = new Map<string, { lockedBy: string; eventIds: string[] }>();
  for (const { event, claim } of rows) {
    const group = byPartner.get(event.partner) ?? { lockedBy: claim!.lockedBy, eventIds: [] };
    group.eventIds.push(event.eventId);
    byPartner.set(event.partner, group);
  }
  for (const [partner, { lockedBy, eventIds }] of byPartner) {
    const { sql, bindings } = trx.builder(OUTBOX_TABLE)
      .select('id', 'event_id')
      .where({ partner, status: 'processing', locked_by: lockedBy })
      // open_event_id is event_id while a row is unfinished, and the column idx_webhook_outbox_open_event indexes.
      .whereIn('open_event_id', eventIds)
      .toSQL();
    for (const row of dialect.rawRows<{ id: number | string; event_id: string }>(await trx.raw(sql, bindings))) ids.set(keyOf({ partner, eventId: row.event_id }), Number(row.id));
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
  trx: StatementSession,
  dialect: Dialect,
  events: readonly InboundEvent[],
  receivedAt: string,
): Promise<Array<true | string>> {
  const fresh: Array<true | string> = [];
  try {
    for (const chunk of chunked(events, { maxItems: MAX_STATEMENT_ROWS, maxBytes: Number.POSITIVE_INFINITY, sizeOf: () => 0 })) {
      const { sql, bindings } = multiRowInsert(DEDUPE_TABLE, DEDUPE_ROW, chunk.map((event) => ({ event, receivedAt })));
      await trx.raw(sql, bindings);
      for (let n = 0; n < chunk.length; n += 1) fresh.push(true); // inserted in this transaction: new
    }
    return fresh;
  } catch (error) {
    if (!dialect.isDuplicateKey(error)) throw error;
  }
  for (const e of events.slice(fresh.length)) {
    const row = { partner: e.partner, event_id: e.eventId, body_sha256: e.bodySha256, received_at: receivedAt };
    // No conflict target: a clash on either unique key (id or body hash) makes the row a duplicate.
    const { sql, bindings } = trx.builder(DEDUPE_TABLE).insert(row).onConflict().ignore().toSQL();
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
  trx: StatementSession,
  dialect: Dialect,
  row: { partner: string; event_id: string; body_sha256: string | null },
): Promise<string> {
  let query = trx.builder(DEDUPE_TABLE)
    .select('event_id')
    .where('partner', row.partner)
    .andWhere((q) => {
      q.where('event_id', row.event_id);
      if (row.body_sha256 !== null) q.orWhere('body_sha256', row.body_sha256);
    });
  if (dialect.name === 'mysql') query = query.forShare();
  const { sql, bindings } = query.toSQL();
  const found = dialect.rawRows<{ event_id: string }>(await trx.raw(sql, bindings));
  if (found.some((r) => r.event_id === row.event_id)) return row.event_id;
  return found[0]?.event_id ?? row.event_id;
}

function compareKeys(a: InboundEvent, b: InboundEvent): number {
  if (a.partner !== b.partner) return a.partner < b.partner ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}
