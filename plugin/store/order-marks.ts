import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { OUTBOX_TABLE } from './outbox-insert.js';
import { toDbTime } from './time.js';

/**
 * The per-key high-water mark (issue 12): the highest version applied for each (partner, order
 * key). Read and raised inside the handlers' transaction, so the mark moves exactly when their writes
 * commit, together with the `done` mark.
 */
export const ORDER_MARKS_TABLE = 'webhook_order_marks';

export const STALE = 'stale';

/**
 * Locks the key's mark row for this transaction (creating it on first use) and returns the version
 * applied so far (null: none). The claim already runs one event per key at a time; the row lock
 * makes that hold even for an attempt that outlived its lease. An upsert rather than INSERT IGNORE +
 * SELECT FOR UPDATE: on InnoDB that pair takes a shared lock first, and two holders upgrading it
 * would deadlock.
 */
export async function lockOrderMark(trx: Knex.Transaction, dialect: Dialect, partner: string, key: string): Promise<number | null> {
  await trx(ORDER_MARKS_TABLE).insert({ partner, order_key: key, version: null }).onConflict(['partner', 'order_key']).merge(['partner']);
  let read = trx(ORDER_MARKS_TABLE).select('version').where({ partner, order_key: key });
  if (dialect.name === 'mysql') read = read.forUpdate();
  const row = (await read.first()) as { version: number | string | null } | undefined;
  return row?.version === null || row?.version === undefined ? null : Number(row.version);
}

/** Records that `version` of the key was applied by `outboxId` (never lowers the mark). */
export async function raiseOrderMark(
  trx: Knex.Transaction,
  mark: { partner: string; key: string; version: number; outboxId: number; nowMs: number },
): Promise<void> {
  await trx(ORDER_MARKS_TABLE)
    .where({ partner: mark.partner, order_key: mark.key })
    .andWhere((q) => q.whereNull('version').orWhere('version', '<=', mark.version))
    .update({ version: mark.version, outbox_id: mark.outboxId, updated_at: toDbTime(mark.nowMs) });
}

/** Says on the outbox row why it is done without its handlers' effects (before the fenced done mark, in the same transaction). */
export async function recordSkipped(trx: Knex.Transaction, outboxId: number, reason: typeof STALE): Promise<void> {
  await trx(OUTBOX_TABLE).where({ id: outboxId }).update({ skipped_reason: reason });
}
