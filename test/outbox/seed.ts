import type { Knex } from 'knex';
import { dialectOf } from '../../plugin/store/dialect.js';
import { DEDUPE_TABLE, OUTBOX_TABLE } from '../../plugin/store/outbox-insert.js';
import { migrateLatest } from '../../plugin/store/migrate.js';
import { toDbTime } from '../../plugin/store/time.js';
import type { OutboxStatus } from '../../plugin/types.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** An outbox row as a test describes it: times relative to now, everything else defaulted. */
export interface SeedEvent {
  partner?: string;
  eventId: string;
  eventType?: string | null;
  status?: OutboxStatus;
  attempts?: number;
  receivedAgoMs?: number;
  /** Default: set for done and dead rows, at the time received. */
  processedAgoMs?: number | null;
  /** Positive: due in the future. Default: due since received. */
  dueInMs?: number;
  lastError?: string | null;
  lockedBy?: string | null;
  payload?: string;
  headers?: Record<string, string>;
  /** Also write its dedupe row (default true), as the receive path does. */
  dedupe?: boolean;
}

export async function migrated(knex: Knex): Promise<void> {
  await migrateLatest(knex, dialectOf(knex));
}

export async function clearOutbox(knex: Knex): Promise<void> {
  await knex(OUTBOX_TABLE).del();
  await knex(DEDUPE_TABLE).del();
}

/** Inserts rows directly (in chunks: SQLite caps bound values per statement); returns eventId → id. */
export async function seedEvents(knex: Knex, events: readonly SeedEvent[], nowMs = Date.now()): Promise<Map<string, number>> {
  const outbox = events.map((e) => {
    const status = e.status ?? 'pending';
    const receivedMs = nowMs - (e.receivedAgoMs ?? 0);
    const finished = status === 'done' || status === 'dead';
    const processedAgo = e.processedAgoMs === undefined ? (finished ? e.receivedAgoMs ?? 0 : null) : e.processedAgoMs;
    return {
      partner: e.partner ?? 'acme',
      event_id: e.eventId,
      event_type: e.eventType === undefined ? 'contact.updated' : e.eventType,
      payload: e.payload ?? JSON.stringify({ id: e.eventId }),
      headers: JSON.stringify(e.headers ?? { 'content-type': 'application/json', 'x-webhook-signature': '[redacted]' }),
      status,
      attempts: e.attempts ?? (status === 'pending' ? 0 : 1),
      next_attempt_at: toDbTime(e.dueInMs === undefined ? receivedMs : nowMs + e.dueInMs),
      locked_by: e.lockedBy ?? (status === 'processing' ? 'test-worker' : null),
      locked_until: status === 'processing' ? toDbTime(nowMs + 60_000) : null,
      last_error: e.lastError ?? (status === 'dead' ? 'Error: boom' : null),
      received_at: toDbTime(receivedMs),
      processed_at: processedAgo === null ? null : toDbTime(nowMs - processedAgo),
    };
  });
  const dedupe = events
    .filter((e) => e.dedupe !== false)
    .map((e) => ({ partner: e.partner ?? 'acme', event_id: e.eventId, received_at: toDbTime(nowMs - (e.receivedAgoMs ?? 0)) }));
  await knex.batchInsert(OUTBOX_TABLE, outbox, 200);
  await knex.batchInsert(DEDUPE_TABLE, dedupe, 500);
  const ids = new Map<string, number>();
  const keys = events.map((e) => e.eventId);
  for (let i = 0; i < keys.length; i += 500) {
    const rows: Array<{ id: number | string; event_id: string }> = await knex(OUTBOX_TABLE).select('id', 'event_id').whereIn('event_id', keys.slice(i, i + 500));
    for (const row of rows) ids.set(row.event_id, Number(row.id));
  }
  return ids;
}

/** Dedupe rows alone, as left behind once their outbox rows were pruned. */
export async function seedDedupe(knex: Knex, rows: ReadonlyArray<{ partner?: string; eventId: string; receivedAgoMs: number }>, nowMs = Date.now()): Promise<void> {
  await knex.batchInsert(
    DEDUPE_TABLE,
    rows.map((r) => ({ partner: r.partner ?? 'acme', event_id: r.eventId, received_at: toDbTime(nowMs - r.receivedAgoMs) })),
    500,
  );
}

export async function countRows(knex: Knex, table: string, where: Record<string, unknown> = {}): Promise<number> {
  const [row] = await knex(table).where(where).count({ n: '*' });
  return Number(row?.n ?? 0);
}

export function many(n: number, prefix: string, spec: Omit<SeedEvent, 'eventId'>): SeedEvent[] {
  return Array.from({ length: n }, (_, i) => ({ ...spec, eventId: `${prefix}-${String(i).padStart(5, '0')}` }));
}
