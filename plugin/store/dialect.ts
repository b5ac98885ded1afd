import type { Knex } from 'knex';
import { ConfigError } from '../errors.js';

/**
 * Everything that differs between MySQL/MariaDB and SQLite, in one place: error codes, result
 * shapes and clock SQL. Nothing outside store/ branches on the database.
 */
export interface Dialect {
  readonly name: 'mysql' | 'sqlite';
  /** SQL giving the database's current UTC time in this module's text format. */
  readonly nowSql: string;
  isDuplicateKey(error: unknown): boolean;
  /** Transient conflicts worth retrying the whole transaction for. */
  isDeadlock(error: unknown): boolean;
  /** The database cannot serve right now: down, unreachable, pool exhausted, lock wait timeout. */
  isUnavailable(error: unknown): boolean;
  /** Rows changed by a `knex.raw` write. */
  affectedRows(rawResult: unknown): number;
  /** Rows returned by a `knex.raw` read. */
  rawRows<T>(rawResult: unknown): T[];
  /**
   * Per-query driver options for reads: mysql2 returns DATETIME as text instead of converting
   * with the host's timezone setting.
   */
  readonly readOptions: Readonly<Record<string, unknown>>;
  /**
   * Transaction settings for the claim, whose locking read scans a range of the claim index. On
   * InnoDB, REPEATABLE READ would also lock the gaps of that range, blocking inserts of new events
   * and deadlocking concurrent claimers; READ COMMITTED locks only the rows it claims. (Ingest does
   * only inserts and point reads, so it keeps the host's level and saves the extra round trip.)
   * SQLite has one writer and no such levels (knex would warn).
   */
  readonly shortTransaction: Readonly<Knex.TransactionConfig>;
  /**
   * A SELECT the server itself stops after `ms`, for reads that a caller abandons on a deadline
   * (health, metrics, alerts): without it the abandoned query runs on and holds a connection.
   */
  limitStatementTime(sql: string, ms: number): string;
}

// MySQL server error numbers (https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html)
const ER_DUP_ENTRY = 1062;
const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_LOCK_DEADLOCK = 1213;
const ER_CON_COUNT_ERROR = 1040;
const ER_SERVER_SHUTDOWN = 1053;
const ER_QUERY_INTERRUPTED = 1317;
const ER_CONNECTION_KILLED = 1927; // MariaDB
const CR_CONNECTION_ERROR = 2002;
const CR_CONN_HOST_ERROR = 2003;
const CR_SERVER_GONE_ERROR = 2006;
const CR_SERVER_LOST = 2013;
const MYSQL_UNAVAILABLE = new Set([
  ER_LOCK_WAIT_TIMEOUT, ER_CON_COUNT_ERROR, ER_SERVER_SHUTDOWN, ER_QUERY_INTERRUPTED, ER_CONNECTION_KILLED,
  CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST,
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CMD_CONNECTION_CLOSED', 'ER_SOCKET_UNEXPECTED_CLOSE',
]);

function errno(error: unknown): number | undefined {
  const value = (error as { errno?: unknown } | null)?.errno;
  return typeof value === 'number' ? value : undefined;
}

function code(error: unknown): string {
  const value = (error as { code?: unknown } | null)?.code;
  return typeof value === 'string' ? value : '';
}

/** Failures that mean "could not reach or use the database", whatever the dialect. */
function isConnectionFailure(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const name = (error as { name?: unknown }).name;
  if (name === 'KnexTimeoutError') return true; // pool acquire timeout: exhausted or unreachable
  if (NETWORK_CODES.has(code(error))) return true;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && /Unable to acquire a connection|Connection lost|The pool is probably full|aborted|is closed/i.test(message)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isConnectionFailure(cause);
}

const mysql: Dialect = Object.freeze({
  name: 'mysql' as const,
  nowSql: "DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%d %H:%i:%s.%f')",
  isDuplicateKey: (error: unknown) => errno(error) === ER_DUP_ENTRY,
  isDeadlock: (error: unknown) => errno(error) === ER_LOCK_DEADLOCK,
  isUnavailable: (error: unknown) => MYSQL_UNAVAILABLE.has(errno(error) ?? 0) || isConnectionFailure(error),
  affectedRows: (raw: unknown) => Number((raw as [{ affectedRows?: number }])[0]?.affectedRows ?? 0),
  rawRows: <T>(raw: unknown) => (raw as [T[]])[0],
  readOptions: Object.freeze({ dateStrings: true }),
  shortTransaction: Object.freeze({ isolationLevel: 'read committed' as const }),
  limitStatementTime: (sql: string, ms: number) => {
    const limit = Math.max(1, Math.ceil(ms));
    // One text for both servers: MariaDB runs what is inside /*M! ... */ and ignores the /*+ */ hint;
    // MySQL 8 ignores /*M! ... */ as a comment and obeys MAX_EXECUTION_TIME (SELECT only).
    return `/*M!100108 SET STATEMENT max_statement_time=${limit / 1000} FOR */ ${sql.replace(/^\s*select\b/i, `select /*+ MAX_EXECUTION_TIME(${limit}) */`)}`;
  },
});

const sqlite: Dialect = Object.freeze({
  name: 'sqlite' as const,
  nowSql: "strftime('%Y-%m-%d %H:%M:%f', 'now')",
  isDuplicateKey: (error: unknown) => /^SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)$/.test(code(error)),
  isDeadlock: () => false,
  isUnavailable: (error: unknown) => /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR)/.test(code(error)) || isConnectionFailure(error),
  affectedRows: (raw: unknown) => Number((raw as { changes?: number }).changes ?? 0),
  rawRows: <T>(raw: unknown) => raw as T[],
  readOptions: Object.freeze({}),
  shortTransaction: Object.freeze({}),
  // better-sqlite3 runs in this thread: a deadline cannot fire before the statement ends anyway.
  limitStatementTime: (sql: string) => sql,
});

export function dialectOf(knex: Knex): Dialect {
  const client = String((knex.client as { config?: { client?: unknown } }).config?.client ?? '');
  if (client === 'mysql2' || client === 'mysql') return mysql;
  if (client === 'better-sqlite3' || client === 'sqlite3') return sqlite;
  throw new ConfigError(`unsupported knex client "${client}": use mysql2 (MySQL 8.0+, MariaDB 10.6+) or better-sqlite3`);
}
