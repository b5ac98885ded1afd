import type { Knex } from 'knex';

/**
 * Pruning and the dead-letter queries now read (status, processed_at) alone. The worker always sets
 * processed_at when a row ends done or dead, but rows written by hand (or by very old data imports)
 * may lack it: give them their received_at, which is what pruning used for them before.
 */
export async function up(knex: Knex): Promise<void> {
  await knex('webhook_outbox').whereIn('status', ['done', 'dead']).whereNull('processed_at').update({ processed_at: knex.ref('received_at') });
}

export async function down(): Promise<void> {
  // Nothing to undo: the filled-in times are as good as the missing ones.
}
