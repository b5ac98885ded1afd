import type { Knex } from 'knex';
import { dialectOptions, mysqlTableDefaults } from '../plugin/store/migration-dialect.js';

export async function up(knex: Knex): Promise<void> {
  const options = await dialectOptions(knex);
  await knex.schema.createTable('webhook_order_marks', (t) => {
    mysqlTableDefaults(t, options);
    t.comment('crm-webhooks: the highest version applied per (partner, order key), written in the same transaction as the writes of the handlers; an event with a lower version is skipped as stale.');
    const partner = t.string('partner', 64).notNullable().comment('webhook_partners.slug');
    const key = t.string('order_key', 191).notNullable().comment('webhook_outbox.order_key');
    if (options.binary) {
      partner.collate(options.binary);
      key.collate(options.binary);
    }
    t.double('version').nullable().comment('highest version applied so far; NULL until the first event of the key commits');
    t.bigInteger('outbox_id').nullable().comment('webhook_outbox.id of the event that applied that version');
    t.datetime('updated_at', { precision: 3 }).nullable().comment('UTC; when that event committed');
    t.primary(['partner', 'order_key'], 'pk_webhook_order_marks');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_order_marks');
}
