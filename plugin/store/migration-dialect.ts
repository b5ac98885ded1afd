import type { Knex } from 'knex';
import { dialectOf } from './dialect.js';

export interface DialectOptions {
  mysql: boolean;
  /** Collation for columns compared byte for byte; undefined on SQLite. */
  binary: string | undefined;
}

/**
 * Partner slugs and event ids are compared byte for byte: "Evt-1" and "evt-1", or "e1" and "e1 ",
 * are different events. MySQL's default collations fold case and pad spaces, so these columns take a
 * binary NO PAD collation: MariaDB's utf8mb4_nopad_bin, or MySQL 8's utf8mb4_0900_bin. SQLite's
 * text comparison is already binary.
 */
export async function dialectOptions(knex: Knex): Promise<DialectOptions> {
  if (dialectOf(knex).name !== 'mysql') return { mysql: false, binary: undefined };
  const [rows] = (await knex.raw("SHOW COLLATION WHERE Collation IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')")) as [
    Array<{ Collation: string }>,
  ];
  const names = rows.map((r) => r.Collation);
  return { mysql: true, binary: names.includes('utf8mb4_nopad_bin') ? 'utf8mb4_nopad_bin' : names[0] ?? 'utf8mb4_bin' };
}

/** InnoDB and utf8mb4 whatever the server's defaults; nothing on SQLite. */
export function mysqlTableDefaults(t: Knex.CreateTableBuilder, options: DialectOptions): void {
  if (!options.mysql) return;
  t.engine('InnoDB');
  t.charset('utf8mb4');
}
