import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';

/**
 * The statements of one transaction. `raw` answers in knex.raw's result shape, so
 * `dialect.rawRows` and `dialect.affectedRows` read it; `builder` compiles the rare statements
 * (`toSQL()`), which then run through `raw`.
 */
export interface StatementSession {
  readonly builder: Knex;
  raw(sql: string, bindings: readonly unknown[]): Promise<unknown>;
}

/** A knex transaction as a session. */
export function sessionOf(trx: Knex.Transaction): StatementSession {
  return { builder: trx, raw: (sql, bindings) => trx.raw(sql, bindings as Knex.RawBinding[]) };
}

interface MysqlConnection {
  query(sql: string, values: readonly unknown[], callback: (error: Error | null, rows: unknown, fields: unknown) => void): void;
}

/**
 * Runs `work` in a transaction on one connection of knex's pool, sending BEGIN, the statements and
 * COMMIT straight to the mysql2 connection. Ingest commits a batch per transaction; knex's
 * transaction object and per-statement machinery cost about as much CPU as the rest of that batch's
 * statements together (issue 15), and the batch needs none of it (no nesting, no savepoints, no
 * handler code). The connection is knex's, borrowed and given back; one that broke is recognised by
 * knex's own check and dropped from the pool. SQLite keeps knex's transaction: its driver is
 * synchronous, so there is no round trip to save.
 */
export async function inConnectionTransaction<T>(knex: Knex, dialect: Dialect, work: (session: StatementSession) => Promise<T>): Promise<T> {
  if (dialect.name !== 'mysql') return knex.transaction((trx) => work(sessionOf(trx)));
  const client = knex.client as { acquireConnection(): Promise<MysqlConnection>; releaseConnection(connection: MysqlConnection): Promise<void> };
  const connection = await client.acquireConnection();
  const raw = (sql: string, bindings: readonly unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      connection.query(sql, bindings, (error, rows, fields) => (error ? reject(error) : resolve([rows, fields])));
    });
  try {
    await raw('BEGIN', []);
    let value: T;
    try {
      value = await work({ builder: knex, raw });
    } catch (error) {
      // Failed statements leave the transaction open; a broken connection fails this too, harmlessly.
      await raw('ROLLBACK', []).catch(() => undefined);
      throw error;
    }
    await raw('COMMIT', []);
    return value;
  } finally {
    await client.releaseConnection(connection);
  }
}
