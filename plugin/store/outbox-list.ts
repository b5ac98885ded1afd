import type { Knex } from 'knex';
import type { OutboxStatus } from '../types.js';
import type { Dialect } from './dialect.js';
import { OUTBOX_TABLE } from './outbox-insert.js';
import { filteredSource } from './outbox-page.js';
import { DETAIL_COLUMNS, toRowDetail, toRowView, VIEW_COLUMNS, type OutboxRowDetail, type OutboxRowView, type RawDetailRow, type RawViewRow } from './outbox-rows.js';

export interface ListFilter {
  status?: OutboxStatus | undefined;
  partner?: string | undefined;
  /** Keyset paging: only rows older (smaller id) than this one. */
  beforeId?: number | undefined;
  limit: number;
}

/**
 * Newest first. Every filter combination has an index ending in id (PRIMARY, (status, id),
 * (partner, id), (partner, status, id)), so the rows come in order and the read stops at `limit`
 * however old or rare the matching rows are.
 */
export async function listOutboxRows(knex: Knex, dialect: Dialect, filter: ListFilter): Promise<OutboxRowView[]> {
  let query = filteredSource(knex, dialect, filter).select(VIEW_COLUMNS).orderBy('id', 'desc').limit(filter.limit).options(dialect.readOptions);
  if (filter.status) query = query.where('status', filter.status);
  if (filter.partner) query = query.where('partner', filter.partner);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  const rows: RawViewRow[] = await query;
  return rows.map(toRowView);
}

export async function findOutboxRow(knex: Knex, dialect: Dialect, id: number): Promise<OutboxRowDetail | null> {
  const row: RawDetailRow | undefined = await knex(OUTBOX_TABLE).select(DETAIL_COLUMNS).where('id', id).options(dialect.readOptions).first();
  return row ? toRowDetail(row) : null;
}
