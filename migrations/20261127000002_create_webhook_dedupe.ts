import type { Knex } from 'knex';
import { dialectOptions, mysqlTableDefaults } from '../plugin/store/migration-dialect.js';

export async function up(knex: Knex): Promise<void> {
  const options = await dialectOptions(knex);
  const { binary } = options;
  await knex.schema.createTable('webhook_dedupe', (t) => {
    mysqlTableDefaults(t, options);
    t.comment('crm-webhooks: one row per (partner, event id) ever accepted; a second delivery finds its row and is answered 200 duplicate. Pruned after the retention window (default 30 days).');
    const partner = t.string('partner', 64).notNullable().comment('webhook_partners.slug');
    const eventId = t.string('event_id', 191).notNullable().comment('the partner\'s event id, compared byte for byte');
    if (binary) {
      partner.collate(binary);
      eventId.collate(binary);
    }
    t.datetime('received_at', { precision: 3 }).notNullable().comment('UTC; rows older than the retention window are pruned');
    t.primary(['partner', 'event_id'], 'pk_webhook_dedupe');
    t.index(['received_at'], 'idx_webhook_dedupe_received');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_dedupe');
}
