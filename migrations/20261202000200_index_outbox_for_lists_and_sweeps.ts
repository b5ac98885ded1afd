import type { Knex } from 'knex';
import { dialectOptions } from '../plugin/store/migration-dialect.js';

/**
 * Issue 16: indexes for the queries that read far past the rows they return at millions of rows.
 * - (status, id), (partner, id): `outbox list` and GET /_admin/outbox, newest first (and keyset
 *   paging on id), so each reads only the rows it returns. Both filters together use the existing
 *   (status, partner) index, which InnoDB (and SQLite, with the rowid) already ends with id.
 * - (status, processed_at): dead letters newest first, the dead_rows_added alert and the prune of done rows.
 * - (status, locked_until): lease recovery and the "claims whose process died" query.
 * `id` is named although InnoDB appends the primary key to every secondary index anyway: it says
 * what the index is for, and costs nothing.
 */
const INDEXES: ReadonlyArray<[string, string[]]> = [
  ['idx_webhook_outbox_status_id', ['status', 'id']],
  ['idx_webhook_outbox_partner_id', ['partner', 'id']],
  ['idx_webhook_outbox_finished', ['status', 'processed_at']],
  ['idx_webhook_outbox_lease', ['status', 'locked_until']],
];

export async function up(knex: Knex): Promise<void> {
  if ((await dialectOptions(knex)).mysql) {
    // One ALTER (knex's builder sends one per index): InnoDB reads a table of millions of rows once
    // to build them all, online (ingest keeps writing meanwhile).
    const adds = INDEXES.map(([name, columns]) => `ADD INDEX \`${name}\` (${columns.map((c) => `\`${c}\``).join(', ')})`);
    await knex.raw(`ALTER TABLE webhook_outbox ${adds.join(', ')}, ALGORITHM=INPLACE, LOCK=NONE`);
    return;
  }
  await knex.schema.alterTable('webhook_outbox', (t) => {
    for (const [name, columns] of INDEXES) t.index(columns, name);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    for (const [name, columns] of INDEXES) t.dropIndex(columns, name);
  });
}
