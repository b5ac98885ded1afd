import type { Knex } from 'knex';
import { dialectOptions, mysqlTableDefaults } from '../plugin/store/migration-dialect.js';

export async function up(knex: Knex): Promise<void> {
  const options = await dialectOptions(knex);
  await knex.schema.createTable('webhook_locks', (t) => {
    mysqlTableDefaults(t, options);
    t.comment('crm-webhooks: named leases, so that background work (retention pruning) runs in one process at a time. A row whose locked_until has passed is free.');
    const name = t.string('name', 64).notNullable().comment('what the lease guards, e.g. retention');
    if (options.binary) name.collate(options.binary);
    t.string('holder', 128).nullable().comment('instance holding the lease (host:pid:random); NULL once released');
    t.datetime('locked_until', { precision: 3 }).notNullable().comment('UTC; the holder renews it while working, anyone may take it after');
    t.primary(['name'], 'pk_webhook_locks');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_locks');
}
