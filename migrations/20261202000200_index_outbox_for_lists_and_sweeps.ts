import type { Knex } from 'knex';

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
  // One ALTER: InnoDB builds all of them in a single pass over the table.
  await knex.schema.alterTable('webhook_outbox', (t) => {
    for (const [name, columns] of INDEXES) t.index(columns, name);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    for (const [name, columns] of INDEXES) t.dropIndex(columns, name);
  });
}
