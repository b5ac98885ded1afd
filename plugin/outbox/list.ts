import type { Knex } from 'knex';
import type { Dialect } from '../store/dialect.js';
import { OUTBOX_TABLE } from '../store/inbox.js';
import type { OutboxStatus } from '../types.js';
import { DETAIL_COLUMNS, toRowDetail, toRowView, VIEW_COLUMNS, type OutboxRowDetail, type OutboxRowView, type RawDetailRow, type RawViewRow } from './rows.js';

export interface ListFilter {
  status?: OutboxStatus;
  partner?: string;
  limit: number;
}

/** Newest first: ids grow with insertion, and ordering by the primary key needs no sort. */
export async function listOutboxRows(knex: Knex, dialect: Dialect, filter: ListFilter): Promise<OutboxRowView[]> {
  let query = knex(OUTBOX_TABLE).select(VIEW_COLUMNS).orderBy('id', 'desc').limit(filter.limit).options(dialect.readOptions);
  if (filter.status) query = query.where('status', filter.status);
  if (filter.partner) query = query.where('partner', filter.partner);
  const rows: RawViewRow[] = await query;
  return rows.map(toRowView);
}

export async function findOutboxRow(knex: Knex, dialect: Dialect, id: number): Promise<OutboxRowDetail | null> {
  const row: RawDetailRow | undefined = await knex(OUTBOX_TABLE).select(DETAIL_COLUMNS).where('id', id).options(dialect.readOptions).first();
  return row ? toRowDetail(row) : null;
}
