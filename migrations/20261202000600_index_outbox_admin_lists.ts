import type { Knex } from 'knex';

/**
 * Indexes for the admin page's events table, paged newest first by id (keyset, `id < before`),
 * beyond the (status, id) and (partner, id) ones that 20261202000200 adds for every list: an event
 * id looked up without its partner, and a time range on its own (received_at). Each index ends with
 * the primary key, so the page reads only the rows it returns.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.index(['event_id'], 'idx_webhook_outbox_event_id');
    t.index(['received_at'], 'idx_webhook_outbox_received');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.dropIndex(['event_id'], 'idx_webhook_outbox_event_id');
    t.dropIndex(['received_at'], 'idx_webhook_outbox_received');
  });
}
