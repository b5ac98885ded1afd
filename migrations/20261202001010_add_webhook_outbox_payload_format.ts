import type { Knex } from 'knex';

/**
 * Issue 10: form and XML bodies are stored as received, and handlers get them decoded. The worker
 * must know how a row's payload was written instead of guessing from its text (a form body can be
 * valid JSON, as `1` or `"x"` are).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.string('payload_format', 600)
      .nullable()
      .comment('How payload is written: NULL = JSON; xml; form, or form:<fields> naming the form fields that hold JSON');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.dropColumn('payload_format');
  });
}
