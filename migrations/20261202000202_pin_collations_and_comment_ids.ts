import type { Knex } from 'knex';
import { dialectOptions } from '../plugin/store/migration-dialect.js';

const STATUS_COMMENT =
  'pending: waiting, due at next_attempt_at | processing: claimed by locked_by until locked_until | done: handlers committed | dead: gave up after the last attempt; UPDATE to pending to replay';

/**
 * Issue 16: text columns other than the keys inherited the server's collation, usually
 * case-insensitive and space-padding, so `status = 'DEAD'` or `status = 'dead '` matched dead rows and
 * a DBA's hand-written query could touch rows the plugin's own queries never would. They now compare
 * byte for byte like the keys. The id columns and knex's migration tables get the comments the rest
 * of the schema has. MySQL/MariaDB only (SQLite compares bytes and keeps no comments); one ALTER
 * per table, since changing an indexed column's collation rebuilds the table.
 */
export async function up(knex: Knex): Promise<void> {
  const { mysql, binary } = await dialectOptions(knex);
  if (!mysql || !binary) return;
  const collate = `CHARACTER SET utf8mb4 COLLATE ${binary}`;
  await knex.raw(
    `ALTER TABLE webhook_outbox
       MODIFY id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT COMMENT ?,
       MODIFY event_type VARCHAR(191) ${collate} NULL COMMENT ?,
       MODIFY status VARCHAR(16) ${collate} NOT NULL COMMENT ?,
       MODIFY locked_by VARCHAR(128) ${collate} NULL COMMENT ?`,
    [
      'grows with insertion: newest rows have the largest ids; what `outbox show`, `outbox replay` and the admin routes name a row by',
      'event type as the partner named it; NULL if it named none',
      STATUS_COMMENT,
      'instance holding the claim (host:pid:random); NULL unless processing',
    ],
  );
  await knex.raw(
    `ALTER TABLE webhook_partners
       MODIFY id INT UNSIGNED NOT NULL AUTO_INCREMENT COMMENT ?,
       MODIFY scheme VARCHAR(32) ${collate} NOT NULL COMMENT ?`,
    ['internal row number; partners are named by slug everywhere else', 'signature scheme: hmac-sha256, standard-webhooks, stripe or github'],
  );
  await knex.raw(`ALTER TABLE webhook_locks MODIFY holder VARCHAR(128) ${collate} NULL COMMENT ?`, [
    'instance holding the lease (host:pid:random); NULL once released',
  ]);
  await knex.raw('ALTER TABLE webhook_migrations COMMENT = ?', ['crm-webhooks: knex\'s record of the plugin\'s applied migrations (plugin/store/migration-list.ts); never edit']);
  await knex.raw('ALTER TABLE webhook_migrations_lock COMMENT = ?', ['crm-webhooks: knex\'s lock so that one process at a time applies migrations']);
}

export async function down(): Promise<void> {
  // The previous collations were whatever the server defaulted to; byte-for-byte comparison stays.
}
