import type { Knex } from 'knex';

/**
 * The stand-in CRM's own tables. A real CRM has these already; the demo creates them with its own
 * migrations table so they never mix with the plugin's `webhook_migrations`.
 */
interface CrmMigration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: CrmMigration[] = [
  {
    name: '001_create_crm_contacts',
    up: (knex: Knex) =>
      knex.schema.createTable('crm_contacts', (t) => {
        t.increments('id').primary();
        t.string('email', 191).notNullable().unique();
        t.string('name', 191).nullable();
        t.string('updated_by_event', 300).nullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
      }),
    down: (knex: Knex) => knex.schema.dropTable('crm_contacts'),
  },
  {
    name: '002_create_crm_orders',
    up: (knex: Knex) =>
      knex.schema.createTable('crm_orders', (t) => {
        t.string('id', 64).primary();
        t.string('status', 32).notNullable();
        t.decimal('amount', 12, 2).nullable();
        t.datetime('paid_at', { precision: 3 }).nullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
      }),
    down: (knex: Knex) => knex.schema.dropTable('crm_orders'),
  },
  {
    // One row per payment ever applied: the unique key makes a second application fail loudly,
    // which is what the crash tests check exactly-once effects against.
    name: '003_create_crm_payments',
    up: (knex: Knex) =>
      knex.schema.createTable('crm_payments', (t) => {
        t.increments('id').primary();
        t.string('order_id', 64).notNullable();
        t.string('payment_id', 191).notNullable().unique();
        t.decimal('amount', 12, 2).notNullable();
        t.datetime('applied_at', { precision: 3 }).notNullable();
      }),
    down: (knex: Knex) => knex.schema.dropTable('crm_payments'),
  },
];

export async function migrateCrm(knex: Knex): Promise<void> {
  await knex.migrate.latest({
    tableName: 'crm_demo_migrations',
    migrationSource: {
      getMigrations: async (): Promise<CrmMigration[]> => migrations,
      getMigrationName: (m: CrmMigration) => m.name,
      getMigration: async (m: CrmMigration) => m,
    },
  });
}
