import type { Knex } from 'knex';

/**
 * Issue 9 item 5: a handler that killed its process charged an attempt to every event the process
 * held, so one poison event took its neighbours to `dead` without them ever running. A claim now
 * records when its handlers start; a claim that expires with this still NULL never reached a
 * handler, and recovery gives its attempt back instead of charging it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.datetime('handlers_started_at', { precision: 3 })
      .nullable()
      .comment('UTC; set just before the current claim runs its handlers, NULL otherwise. An expired claim with NULL here never ran and is not charged an attempt');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.dropColumn('handlers_started_at');
  });
}
