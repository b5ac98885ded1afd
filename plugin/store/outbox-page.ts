import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { idsWithEventId } from './event-id-search.js';
import { OUTBOX_TABLE } from './outbox-insert.js';
import { toDbTime } from './time.js';

/** The events table's filters; every one optional. Times are ms since the epoch, `to` exclusive. */
export interface OutboxPageFilter {
  status?: string | undefined;
  partner?: string | undefined;
  eventType?: string | undefined;
  eventId?: string | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

export interface OutboxPageQuery extends OutboxPageFilter {
  /** Keyset cursor: only rows with a smaller id (the previous page's `next`). */
  beforeId?: number | undefined;
  limit: number;
}

export const PAGE_COLUMNS = [
  'id', 'partner', 'event_id', 'event_type', 'status', 'attempts', 'next_attempt_at',
  'locked_by', 'locked_until', 'last_error', 'received_at', 'processed_at',
] as const;

/**
 * The outbox table, with an index named where the optimizer goes wrong; the admin page's list and
 * `outbox list` both read through it. With status and partner both given, MariaDB's optimizer may
 * intersect (status, id) and (partner, id), or (status, id) and (status, partner), and sort the
 * result: over a second on a million rows (1.3 s for one partner's 20,000 dead rows at 2,000,000).
 * (status, partner) with its implicit id suffix answers the page in index order, so it is named
 * explicitly on MySQL/MariaDB.
 */
export function filteredSource(knex: Knex, dialect: Dialect | undefined, filter: { status?: string | undefined; partner?: string | undefined; eventId?: string | undefined }): Knex.QueryBuilder {
  if (dialect?.name === 'mysql' && filter.status !== undefined && filter.partner !== undefined && filter.eventId === undefined) {
    return knex.from(knex.raw('?? FORCE INDEX (??)', [OUTBOX_TABLE, 'idx_webhook_outbox_stats']));
  }
  return knex(OUTBOX_TABLE);
}

function filtered(knex: Knex, filter: OutboxPageFilter, dialect: Dialect | undefined, eventRowIds: readonly number[] | null): Knex.QueryBuilder {
  const query = filteredSource(knex, dialect, filter);
  if (eventRowIds !== null) query.whereIn('id', eventRowIds).andWhere('event_id', filter.eventId!);
  if (filter.status !== undefined) query.where('status', filter.status);
  if (filter.partner !== undefined) query.where('partner', filter.partner);
  if (filter.eventType !== undefined) query.where('event_type', filter.eventType);
  if (filter.fromMs !== undefined) query.where('received_at', '>=', toDbTime(filter.fromMs));
  if (filter.toMs !== undefined) query.where('received_at', '<', toDbTime(filter.toMs));
  return query;
}

/** An event-id filter is answered by idsWithEventId first: the page then reads those few rows by id. */
async function eventRows(knex: Knex, filter: OutboxPageFilter): Promise<number[] | null> {
  return filter.eventId === undefined ? null : idsWithEventId(knex, filter.eventId, filter.partner);
}

/**
 * One page of outbox rows, newest first, by keyset on id: the cost of page 1,000 is the cost of
 * page 1 (an OFFSET would read every skipped row). One extra row is read to know whether another
 * page follows; `next` is the cursor for it, null on the last page.
 */
export async function listOutboxPage<R extends { id: number | string }>(
  knex: Knex,
  dialect: Dialect,
  query: OutboxPageQuery,
): Promise<{ rows: R[]; next: number | null }> {
  const builder = filtered(knex, query, dialect, await eventRows(knex, query)).select(PAGE_COLUMNS).orderBy('id', 'desc').limit(query.limit + 1).options(dialect.readOptions);
  if (query.beforeId !== undefined) builder.where('id', '<', query.beforeId);
  const rows: R[] = await builder;
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  return { rows: page, next: more ? Number(page.at(-1)!.id) : null };
}

/** How many rows match: the replay dialog's count before "replay all dead rows of a partner". */
export async function countOutboxRows(knex: Knex, filter: OutboxPageFilter): Promise<number> {
  const row = (await filtered(knex, filter, undefined, await eventRows(knex, filter)).count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/**
 * When each partner's newest event was received: its highest id, one index probe per partner on
 * (partner, id), rather than a MAX(received_at) over every row of the table.
 */
export async function lastReceivedByPartner(knex: Knex, dialect: Dialect, slugs: readonly string[]): Promise<Map<string, string | Date>> {
  const found = new Map<string, string | Date>();
  for (const slug of slugs) {
    const row = (await knex(OUTBOX_TABLE).select('received_at').where('partner', slug).orderBy('id', 'desc').limit(1).options(dialect.readOptions).first()) as
      | { received_at: string | Date }
      | undefined;
    if (row) found.set(slug, row.received_at);
  }
  return found;
}
