import type { Knex } from 'knex';
import { webhookMigrations, type NamedMigration } from '../../migrations/index.js';
import { ConfigError } from '../errors.js';
import type { Dialect } from './dialect.js';

/** The plugin's own migrations table, so its history never mixes with the host's. */
export const MIGRATIONS_TABLE = 'webhook_migrations';

const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => [...webhookMigrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

const migratorConfig: Knex.MigratorConfig = { migrationSource, tableName: MIGRATIONS_TABLE };

/** Applies pending migrations; returns the names applied now (empty when up to date). */
export async function migrateLatest(knex: Knex, dialect: Dialect): Promise<string[]> {
  await assertSupportedServer(knex, dialect);
  const [, applied] = (await knex.migrate.latest(migratorConfig)) as [number, string[]];
  return applied;
}

export async function pendingMigrations(knex: Knex): Promise<string[]> {
  const [, pending] = (await knex.migrate.list(migratorConfig)) as [unknown[], Array<{ name?: string } | string>];
  return pending.map((p) => (typeof p === 'string' ? p : String(p.name ?? p)));
}

/** SKIP LOCKED (the poller's claim) needs MySQL 8.0+ or MariaDB 10.6+; say so up front. */
export async function assertSupportedServer(knex: Knex, dialect: Dialect): Promise<void> {
  if (dialect.name !== 'mysql') return;
  const [rows] = (await knex.raw('SELECT VERSION() AS version')) as [Array<{ version: string }>];
  const version = rows[0]?.version ?? '';
  const [major = 0, minor = 0] = version.split(/[.-]/).map((n) => Number.parseInt(n, 10));
  const mariadb = /mariadb/i.test(version);
  const ok = mariadb ? major > 10 || (major === 10 && minor >= 6) : major >= 8;
  if (!ok) throw new ConfigError(`database server ${version} is not supported: use MySQL 8.0+ or MariaDB 10.6+`);
}
