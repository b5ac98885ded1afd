import type { Knex } from 'knex';
import { dialectOptions, mysqlTableDefaults } from '../plugin/store/migration-dialect.js';

export async function up(knex: Knex): Promise<void> {
  const options = await dialectOptions(knex);
  const { binary } = options;
  await knex.schema.createTable('webhook_partners', (t) => {
    mysqlTableDefaults(t, options);
    t.comment('crm-webhooks: partners allowed to POST events to /plugins/webhooks/<slug>. Manage with `crm-webhooks partner ...`.');
    t.increments('id').primary();
    const slug = t.string('slug', 64).notNullable().unique('uq_webhook_partners_slug').comment('URL path segment: /plugins/webhooks/<slug>');
    if (binary) slug.collate(binary);
    t.string('scheme', 32).notNullable().comment('signature scheme: hmac-sha256, standard-webhooks, stripe or github');
    t.text('secrets').notNullable().comment('JSON list, newest first, of {addedAt, enc} (AES-256-GCM) or {addedAt, plain}; never log or copy');
    t.boolean('enabled').notNullable().defaultTo(true).comment('0: requests are refused with 403');
    t.text('settings').notNullable().comment('JSON: toleranceSeconds, contentTypes, idFrom, typeFrom, rateLimit, allowIps');
    t.datetime('created_at', { precision: 3 }).notNullable().comment('UTC');
    t.datetime('updated_at', { precision: 3 }).notNullable().comment('UTC');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_partners');
}
