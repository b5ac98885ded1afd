import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { knexConfigFromUrl } from '../../plugin/store/connect.js';

export type DatabaseKind = 'sqlite' | 'mysql';

export interface TestDatabase {
  kind: DatabaseKind;
  /** A DATABASE_URL for child processes and the CLI. */
  url: string;
  knex: Knex;
  /** Opens another pool on the same database (as another process would). */
  open(options?: { poolMax?: number }): Knex;
  destroy(): Promise<void>;
}

/**
 * SQLite always; MySQL/MariaDB too when WEBHOOKS_TEST_MYSQL_URL is set, in which case failing to
 * connect fails the suite: it is never skipped.
 */
export function databaseKinds(): DatabaseKind[] {
  return process.env.WEBHOOKS_TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];
}

/**
 * The host's knex settings are not ours to choose, so tests open MySQL with a non-UTC driver
 * timezone: any place that let the driver convert a Date would show up as an hours-wrong time.
 */
function withHostileTimezone(config: Knex.Config): Knex.Config {
  const connection = config.connection as Record<string, unknown>;
  return connection.host ? { ...config, connection: { ...connection, timezone: '+05:00' } } : config;
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'crm-webhooks-test-'));
    const url = `sqlite:${join(dir, 'test.sqlite')}`;
    const open = (options: { poolMax?: number } = {}) => knexFactory(knexConfigFromUrl(url, options));
    const knex = open();
    return {
      kind,
      url,
      knex,
      open,
      async destroy() {
        await knex.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const base = new URL(process.env.WEBHOOKS_TEST_MYSQL_URL!);
  const name = `${base.pathname.replace(/^\//, '') || 'crm_webhooks_test'}_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory(knexConfigFromUrl(base.toString(), { poolMax: 1 }));
  try {
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } catch (error) {
    await admin.destroy();
    throw new Error(`WEBHOOKS_TEST_MYSQL_URL is set but the test database could not be created: ${(error as Error).message}`, { cause: error });
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const open = (options: { poolMax?: number } = {}) => knexFactory(withHostileTimezone(knexConfigFromUrl(url.toString(), options)));
  const knex = open();
  return {
    kind,
    url: url.toString(),
    knex,
    open,
    async destroy() {
      await knex.destroy();
      await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.destroy();
    },
  };
}

/**
 * Declares `body` once per database kind, each with a fresh database created before and dropped
 * after. `db()` is valid inside hooks and tests.
 */
export function describeEachDatabase(title: string, body: (db: () => TestDatabase) => void): void {
  for (const kind of databaseKinds()) {
    describe(`${title} [${kind === 'mysql' ? 'MariaDB/MySQL' : 'SQLite'}]`, function () {
      let database: TestDatabase | undefined;
      before(async function () {
        this.timeout(30_000);
        database = await createTestDatabase(kind);
      });
      after(async function () {
        await database?.destroy();
      });
      body(() => {
        if (!database) throw new Error('the test database is not ready');
        return database;
      });
    });
  }
}
