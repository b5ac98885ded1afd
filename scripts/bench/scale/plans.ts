import type { Knex } from 'knex';

/** One statement a timed operation sent, as knex's 'query' event reports it. */
export interface SentStatement {
  sql: string;
  bindings: readonly unknown[];
}

export interface PlanLine {
  table: string;
  type: string;
  key: string | null;
  rows: number;
  extra: string;
}

/** Records every statement `knex` sends while `work` runs. */
export async function recordStatements<T>(knex: Knex, work: () => Promise<T>): Promise<{ result: T; statements: SentStatement[] }> {
  const statements: SentStatement[] = [];
  const listener = (data: { sql: string; bindings?: readonly unknown[] }) => statements.push({ sql: data.sql, bindings: data.bindings ?? [] });
  knex.on('query', listener);
  try {
    return { result: await work(), statements };
  } finally {
    knex.removeListener('query', listener);
  }
}

/**
 * EXPLAIN of a statement as MariaDB plans it. A statement-time-limit wrapper is taken off first
 * (EXPLAIN does not accept SET STATEMENT); statements that cannot be explained give no lines.
 */
export async function explain(knex: Knex, statement: SentStatement): Promise<PlanLine[]> {
  const sql = statement.sql.replace(/^\s*\/\*M!\d+ SET STATEMENT .*? FOR \*\/\s*/s, '').trim();
  if (!/^(select|update|delete|with)\b/i.test(sql)) return [];
  try {
    const [rows] = (await knex.raw(`EXPLAIN ${sql}`, statement.bindings as Knex.RawBinding[])) as [Array<Record<string, unknown>>];
    return rows.map((r) => ({
      table: String(r.table ?? ''),
      type: String(r.type ?? ''),
      key: r.key === null || r.key === undefined ? null : String(r.key),
      rows: Number(r.rows ?? 0),
      extra: String(r.Extra ?? ''),
    }));
  } catch {
    return [];
  }
}

/** "table type/key (rows)" per plan line, the outbox and dedupe tables only. */
export function describePlan(lines: readonly PlanLine[]): string {
  return lines
    .filter((l) => /webhook_|^[a-z]$|derived/.test(l.table))
    .map((l) => `${l.table.replace('webhook_', '')} ${l.type}/${l.key ?? '-'}`)
    .join(', ');
}

/** Explains each distinct statement shape once (the first of each), keeping the reads and writes. */
export async function planOf(knex: Knex, statements: readonly SentStatement[]): Promise<string> {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const statement of statements) {
    const shape = statement.sql.replace(/\?(, \?)*/g, '?');
    if (seen.has(shape)) continue;
    seen.add(shape);
    const plan = describePlan(await explain(knex, statement));
    if (plan) parts.push(plan);
  }
  return parts.join('; ');
}
