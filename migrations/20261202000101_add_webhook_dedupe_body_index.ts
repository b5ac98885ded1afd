import type { Knex } from 'knex';

/**
 * One schema change per migration (MySQL commits DDL at once). Unique per partner: a second row
 * with the same body hash is refused like a second row with the same event id, and NULLs (no hash)
 * never collide.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_dedupe', (t) => {
    t.unique(['partner', 'body_sha256'], { indexName: 'uq_webhook_dedupe_body' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_dedupe', (t) => {
    t.dropUnique(['partner', 'body_sha256'], 'uq_webhook_dedupe_body');
  });
}
