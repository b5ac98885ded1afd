import type { Knex } from 'knex';
import { dialectOptions } from '../plugin/store/migration-dialect.js';

/**
 * Issue 9: for schemes that sign neither the event id nor a timestamp, a byte-identical body is the
 * same event whatever id a replay claims. The hash sits on the event's own dedupe row, so it is
 * written in the same transaction and pruned with it by received_at, and a DBA reads it as hex.
 */
export async function up(knex: Knex): Promise<void> {
  const options = await dialectOptions(knex);
  await knex.schema.alterTable('webhook_dedupe', (t) => {
    const column = t
      .string('body_sha256', 64)
      .nullable()
      .comment('hex SHA-256 of the raw body, for schemes that sign neither id nor timestamp (NULL otherwise, or when the partner turned dedupeBodyHash off)');
    if (options.mysql) column.collate('ascii_bin');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_dedupe', (t) => {
    t.dropColumn('body_sha256');
  });
}
