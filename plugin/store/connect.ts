import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { ConfigError } from '../errors.js';

/** Where the demo host and the CLI keep their data when DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = 'sqlite:data/crm-webhooks.sqlite';

/**
 * knex settings for a DATABASE_URL, for the CLI, the demo host, benchmarks and tests. A real host
 * passes its own knex instead; the plugin never opens a pool of its own.
 *   mysql://user:password@host:port/database
 *   sqlite:path/to/file.sqlite   (relative to the working directory)
 */
export function knexConfigFromUrl(url: string, options: { poolMax?: number } = {}): Knex.Config {
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!filename) throw new ConfigError('DATABASE_URL sqlite: needs a file path, e.g. sqlite:data/crm.sqlite');
    return {
      client: 'better-sqlite3',
      connection: { filename: filename === ':memory:' ? filename : resolve(filename) },
      useNullAsDefault: true,
      pool: {
        // WAL lets the CLI read while the host writes; synchronous=FULL makes a commit survive a power
        // cut, not just a process crash, since a 202 promises the event is durable.
        afterCreate(connection: { pragma(sql: string): unknown }, done: (error: Error | null, connection: unknown) => void) {
          try {
            connection.pragma('journal_mode = WAL');
            connection.pragma('synchronous = FULL');
            connection.pragma('busy_timeout = 5000');
            done(null, connection);
          } catch (error) {
            done(error as Error, connection);
          }
        },
      },
    };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('DATABASE_URL must look like mysql://user:password@host:3306/database or sqlite:path/to/file.sqlite');
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new ConfigError(`DATABASE_URL scheme "${parsed.protocol}" is not supported: use mysql:// or sqlite:`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new ConfigError('DATABASE_URL needs a database name after the host, e.g. mysql://root@127.0.0.1:3306/crm');
  return {
    client: 'mysql2',
    connection: {
      host: parsed.hostname || '127.0.0.1',
      port: parsed.port ? Number(parsed.port) : 3306,
      user: decodeURIComponent(parsed.username || 'root'),
      password: decodeURIComponent(parsed.password),
      database,
      charset: 'utf8mb4',
      timezone: 'Z',
      connectTimeout: 5000,
      ...tlsOptions(parsed.searchParams),
    },
    pool: { min: 0, max: options.poolMax ?? 10 },
    acquireConnectionTimeout: 10_000,
  };
}

/**
 * TLS for managed MySQL (RDS, Cloud SQL, Azure), from the URL's query: `ssl=true` verifies the
 * server against the system's CAs; `ssl-ca=/path/ca.pem` against that bundle. A certificate that
 * does not verify is always refused: there is no option to turn the check off.
 */
function tlsOptions(query: URLSearchParams): { ssl?: { ca?: string; rejectUnauthorized: true } } {
  for (const key of query.keys()) {
    if (key !== 'ssl' && key !== 'ssl-ca') throw new ConfigError(`DATABASE_URL option "${key}" is not supported: use ssl=true or ssl-ca=/path/to/ca.pem`);
  }
  const ssl = query.get('ssl');
  const caPath = query.get('ssl-ca');
  if (ssl !== null && ssl !== 'true' && ssl !== 'false') throw new ConfigError('DATABASE_URL option ssl must be true or false');
  if (caPath) {
    try {
      return { ssl: { ca: readFileSync(caPath, 'utf8'), rejectUnauthorized: true } };
    } catch (error) {
      throw new ConfigError(`DATABASE_URL option ssl-ca: cannot read ${caPath}: ${(error as Error).message}`, { cause: error });
    }
  }
  return ssl === 'true' ? { ssl: { rejectUnauthorized: true } } : {};
}

export interface OpenOptions {
  poolMax?: number;
  /** Keep knex's own console output (e.g. "Acquire connection error" with a stack) off the terminal. */
  quiet?: boolean;
}

const silent = () => undefined;

export function openDatabase(url: string, options: OpenOptions = {}): Knex {
  const config = knexConfigFromUrl(url, options);
  const filename = (config.connection as { filename?: string }).filename;
  if (filename && filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
  return knexFactory(options.quiet ? { ...config, log: { warn: silent, error: silent, debug: silent, deprecate: silent } } : config);
}

/** The URL as it may be shown in logs and messages: never the password. */
export function displayUrl(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
