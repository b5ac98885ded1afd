import type { Knex } from 'knex';

/**
 * Issue 16: running hosts checked for partner changes by reading the whole table 2.5 times a
 * second. Every change made through the plugin or its CLI now adds 1 to its row's revision, so
 * COUNT(*) and SUM(revision) together change whenever any row does, and a host reloads only then.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_partners', (t) => {
    t.bigInteger('revision')
      .notNullable()
      .defaultTo(1)
      .comment('raised by 1 on every change; running hosts reload partners when COUNT(*) or SUM(revision) moves. Raise it too when editing a row by hand');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_partners', (t) => {
    t.dropColumn('revision');
  });
}
