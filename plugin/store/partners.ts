import type { Knex } from 'knex';
import type { SchemeName } from '../types.js';
import type { Dialect } from './dialect.js';
import { fromDbTime, toDbTime } from './time.js';

export const PARTNERS_TABLE = 'webhook_partners';

/** A webhook_partners row with its JSON columns still as text. */
export interface PartnerRow {
  id: number;
  slug: string;
  scheme: SchemeName;
  secrets: string;
  enabled: boolean;
  settings: string;
  createdAt: Date;
  updatedAt: Date;
}

interface RawPartnerRow {
  id: number | string;
  slug: string;
  scheme: SchemeName;
  secrets: string;
  enabled: number | boolean;
  settings: string;
  created_at: string | Date;
  updated_at: string | Date;
}

function toPartnerRow(raw: RawPartnerRow): PartnerRow {
  return {
    id: Number(raw.id),
    slug: raw.slug,
    scheme: raw.scheme,
    secrets: raw.secrets,
    enabled: Boolean(Number(raw.enabled)),
    settings: raw.settings,
    createdAt: fromDbTime(raw.created_at),
    updatedAt: fromDbTime(raw.updated_at),
  };
}

export async function listPartnerRows(db: Knex | Knex.Transaction, dialect: Dialect): Promise<PartnerRow[]> {
  const rows: RawPartnerRow[] = await db(PARTNERS_TABLE).select('*').orderBy('slug').options(dialect.readOptions);
  return rows.map(toPartnerRow);
}

/**
 * A cheap summary that changes whenever any partner row is added or changed through this module
 * (every update raises its row's revision): running hosts read it instead of the whole table.
 */
export async function readPartnersMarker(db: Knex | Knex.Transaction): Promise<string> {
  const row = (await db(PARTNERS_TABLE)
    .first(db.raw('COUNT(*) AS n'), db.raw('COALESCE(SUM(revision), 0) AS r'), db.raw('COALESCE(MAX(id), 0) AS m'))) as
    | { n: number | string; r: number | string; m: number | string }
    | undefined;
  return row ? `${row.n}:${row.r}:${row.m}` : '0:0:0';
}

export async function findPartnerRow(
  db: Knex | Knex.Transaction,
  dialect: Dialect,
  slug: string,
  options: { forUpdate?: boolean } = {},
): Promise<PartnerRow | null> {
  let query = db(PARTNERS_TABLE).select('*').where({ slug }).options(dialect.readOptions);
  // SQLite has no row locks; its transactions already serialize writers.
  if (options.forUpdate && dialect.name === 'mysql') query = query.forUpdate();
  const raw: RawPartnerRow | undefined = await query.first();
  return raw ? toPartnerRow(raw) : null;
}

export interface NewPartnerRow {
  slug: string;
  scheme: SchemeName;
  secrets: string;
  enabled: boolean;
  settings: string;
}

export async function insertPartnerRow(db: Knex | Knex.Transaction, row: NewPartnerRow, nowMs: number): Promise<void> {
  const at = toDbTime(nowMs);
  await db(PARTNERS_TABLE).insert({ ...row, created_at: at, updated_at: at });
}

export async function updatePartnerRow(
  db: Knex | Knex.Transaction,
  slug: string,
  patch: Partial<Pick<NewPartnerRow, 'secrets' | 'enabled' | 'settings' | 'scheme'>>,
  nowMs: number,
): Promise<boolean> {
  const changed = await db(PARTNERS_TABLE)
    .where({ slug })
    .update({ ...patch, updated_at: toDbTime(nowMs), revision: db.raw('?? + 1', ['revision']) });
  return changed > 0;
}
