import type { Knex } from 'knex';

/**
 * Indexes for the admin page's events table, paged newest first by id (keyset, `id < before`):
 * filtered by status alone, by partner alone, or by an event id without a partner; and a time range on its own (received_at). Each index ends
 * in id (explicitly; InnoDB would append it anyway), so a page is a short range scan in id order
 * whatever the table's size. Status and partner together already use idx_webhook_outbox_stats.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.index(['status', 'id'], 'idx_webhook_outbox_status_id');
    t.index(['partner', 'id'], 'idx_webhook_outbox_partner_id');
    t.index(['event_id'], 'idx_webhook_outbox_event_id');
    t.index(['received_at'], 'idx_webhook_outbox_received');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.dropIndex(['status', 'id'], 'idx_webhook_outbox_status_id');
    t.dropIndex(['partner', 'id'], 'idx_webhook_outbox_partner_id');
    t.dropIndex(['event_id'], 'idx_webhook_outbox_event_id');
    t.dropIndex(['received_at'], 'idx_webhook_outbox_received');
  });
}
