import type { Knex } from 'knex';
import { dialectOptions } from '../plugin/store/migration-dialect.js';

/**
 * Issue 12: per-record ordering. The order key and version are read at ingest and kept on the row,
 * so the claim can run one event per (partner, key) at a time, lowest version first.
 */
export async function up(knex: Knex): Promise<void> {
  const { binary } = await dialectOptions(knex);
  await knex.schema.alterTable('webhook_outbox', (t) => {
    const key = t.string('order_key', 191).nullable().comment(
      'the record this event changes (partner setting orderKeyFrom); NULL: unordered, runs in parallel with anything',
    );
    if (binary) key.collate(binary);
    t.double('order_version').nullable().comment(
      'the version of the record in this event (versionFrom): a number, or an ISO 8601 time as epoch milliseconds; lower runs first',
    );
    t.string('order_on_dead', 8).nullable().comment(
      'partner setting onDead when the event arrived: block = once dead, its key waits until a replay (or this is set to continue)',
    );
    t.string('skipped_reason', 16).nullable().comment(
      'stale: done without calling handlers, a newer version of the record had been applied (see webhook_order_marks)',
    );
    // The claim asks, per candidate: is another event of this key processing, or pending with a
    // lower version? One range on this index answers it.
    t.index(['partner', 'order_key', 'status', 'order_version'], 'idx_webhook_outbox_order');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.dropIndex(['partner', 'order_key', 'status', 'order_version'], 'idx_webhook_outbox_order');
    t.dropColumn('skipped_reason');
    t.dropColumn('order_on_dead');
    t.dropColumn('order_version');
    t.dropColumn('order_key');
  });
}
