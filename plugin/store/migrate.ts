import type { Knex } from 'knex';
import { webhookMigrations, type NamedMigration } from './migration-list.js';
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

/** SKIP LOCKED (the poller's claim) needs MySQL 8.0+ or MariaDB 10.6+; say so up front. */
export async function assertSupportedServer(knex: Knex, dialect: Dialect): Promise<void> {
  if (dialect.name !== 'mysql') return;
  const [rows] = (await knex.raw('SELECT VERSION() AS version')) as [Array<{ version: string }>];
  const version = rows[0]?.version ?? '';
  const [major = 0, minor = 0] = version.split(/[.-]/).map((n) => Number.parseInt(n, 10));
  const mariadb = /mariadb/i.test(version);
  const ok = mariadb ? major > 10 || (major === 10 && minor >= 6) : major >= 8;
  if (!ok) throw new ConfigError(`database server ${version} is not supported: use MySQL 8.0+ or MariaDB 10.6+`);
  // The claim runs at READ COMMITTED, which InnoDB cannot log as statements (error 1665).
  const [[binlog]] = (await knex.raw('SELECT @@log_bin AS logBin, @@binlog_format AS format')) as [[{ logBin: number | string; format: string }]];
  if (Number(binlog?.logBin) === 1 && String(binlog?.format).toUpperCase() === 'STATEMENT') {
    throw new ConfigError('binlog_format=STATEMENT is not supported (the outbox claim runs at READ COMMITTED): use ROW or MIXED');
  }
}
