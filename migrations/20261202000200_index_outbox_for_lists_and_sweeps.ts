import type { Knex } from 'knex';

/**
 * Issue 16: indexes for the queries that read far past the rows they return at millions of rows.
 * - (status, id), (partner, id), (partner, status, id): `outbox list` and GET /_admin/outbox, newest
 *   first (and keyset paging on id), for every filter they offer: each reads only the rows it returns.
 * - (status, processed_at): dead letters newest first, the dead_rows_added alert and the prune of done rows.
 * - (status, locked_until): lease recovery and the "claims whose process died" query.
 * On InnoDB a secondary index ends with the primary key, so `id` is named only where it must sort
 * before nothing else; naming it keeps SQLite's plans the same.
 */
const INDEXES: ReadonlyArray<[string, string[]]> = [
  ['idx_webhook_outbox_status_id', ['status', 'id']],
  ['idx_webhook_outbox_partner_id', ['partner', 'id']],
  ['idx_webhook_outbox_partner_status_id', ['partner', 'status', 'id']],
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
