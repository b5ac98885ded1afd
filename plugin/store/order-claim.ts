import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { OUTBOX_TABLE } from './outbox-insert.js';
import { fromDbTime } from './time.js';

/**
 * Issue 12: the SQL that keeps one event per (partner, order key) running at a time, across every
 * process. A pending row with an order key may be claimed only when no other row of its key is
 * processing, pending with a lower version (received order on a tie), or dead under `onDead: block`.
 * The check reads committed rows (a plain subquery inside the claim's locking read), so a row another
 * claimer has locked but not yet committed still reads as pending: that is enough, because only the
 * key's head is ever claimable, and the head is the locked row.
 */

/**
 * The key's rows, read through idx_webhook_outbox_order on MySQL. Left to itself, MariaDB chose
 * (partner, id) for this correlated subquery, because it can test `p.id <> outer.id` in that index:
 * every row of the partner per candidate, 15 s per claim at 10,000 rows in the ordering test.
 */
function keyRows(db: Knex | Knex.Transaction, dialect: Dialect): Knex.QueryBuilder {
  if (dialect.name !== 'mysql') return db({ p: OUTBOX_TABLE });
  return db.from(db.raw('?? AS ?? FORCE INDEX (??)', [OUTBOX_TABLE, 'p', 'idx_webhook_outbox_order']));
}

/** Rows of the same key as `outer` that must finish first. `outer` is the table name or alias of the candidate row. */
function earlierOfKey(db: Knex | Knex.Transaction, dialect: Dialect, outer: string) {
  const col = (name: string) => `${outer}.${name}`;
  return keyRows(db, dialect)
    .select(db.raw('1'))
    .whereRaw('p.partner = ??', [col('partner')])
    .andWhereRaw('p.order_key = ??', [col('order_key')])
    .andWhereRaw('p.id <> ??', [col('id')]);
}

/** `p` (a row of the same key) comes before `outer` in the key's order: lower version, or same version received earlier. */
function precedes(q: Knex.QueryBuilder, outer: string): void {
  void q
    .whereRaw('p.order_version < ??', [`${outer}.order_version`])
    .orWhere((tie) => tie.whereRaw('p.order_version = ??', [`${outer}.order_version`]).andWhereRaw('p.id < ??', [`${outer}.id`]));
}

/** Adds to a claim query (on the unaliased outbox table) the condition that the row is free to run now. */
export function whereOrderAllows(query: Knex.QueryBuilder, db: Knex | Knex.Transaction, dialect: Dialect): Knex.QueryBuilder {
  const blocking = earlierOfKey(db, dialect, OUTBOX_TABLE).andWhere((why) =>
    why
      .where('p.status', 'processing')
      .orWhere((pending) => pending.where('p.status', 'pending').andWhere((order) => precedes(order, OUTBOX_TABLE)))
      .orWhere((dead) => dead.where('p.status', 'dead').andWhere('p.order_on_dead', 'block')),
  );
  return query.where((q) => q.whereNull(`${OUTBOX_TABLE}.order_key`).orWhereNotExists(blocking));
}

/**
 * Waiting because of a failure, not because of traffic: an earlier event of the key is waiting for a
 * retry, or died under `onDead: block`. (Waiting behind a running event is the normal cost of order.)
 */
export function whereBlockedByFailure(query: Knex.QueryBuilder, db: Knex | Knex.Transaction, dialect: Dialect): Knex.QueryBuilder {
  const blocking = earlierOfKey(db, dialect, OUTBOX_TABLE).andWhere((why) =>
    why
      .where((retrying) =>
        retrying.where('p.status', 'pending').andWhere('p.next_attempt_at', '>', db.raw(dialect.nowSql)).andWhere((order) => precedes(order, OUTBOX_TABLE)),
      )
      .orWhere((dead) => dead.where('p.status', 'dead').andWhere('p.order_on_dead', 'block')),
  );
  return query.whereNotNull(`${OUTBOX_TABLE}.order_key`).whereExists(blocking);
}

export interface BlockedKeys {
  /** (partner, key) pairs with due events held back by a failed earlier event. */
  blockedKeys: number;
  /** Seconds the longest-held of those events has been due; null when none is. */
  oldestBlockedKeySeconds: number | null;
}

/** Reads the due pending rows only (the claim index), then checks each against its key's earlier rows. */
export async function readBlockedKeys(knex: Knex, dialect: Dialect): Promise<BlockedKeys> {
  const blocked = whereBlockedByFailure(
    knex(OUTBOX_TABLE).where(`${OUTBOX_TABLE}.status`, 'pending').andWhere(`${OUTBOX_TABLE}.next_attempt_at`, '<=', knex.raw(dialect.nowSql)),
    knex,
    dialect,
  );
  const row = (await knex
    .from(
      blocked
        .clone()
        .select(`${OUTBOX_TABLE}.partner`, `${OUTBOX_TABLE}.order_key`)
        .min({ due: `${OUTBOX_TABLE}.next_attempt_at` })
        .groupBy(`${OUTBOX_TABLE}.partner`, `${OUTBOX_TABLE}.order_key`)
        .as('k'),
    )
    .count({ n: '*' })
    .min({ due: 'k.due' })
    .select(knex.raw(`${dialect.nowSql} AS ??`, ['now']))
    .options(dialect.readOptions)
    .first()) as { n: number | string; due: string | Date | null; now: string } | undefined;
  const count = Number(row?.n ?? 0);
  if (!row || count === 0 || row.due === null) return { blockedKeys: count, oldestBlockedKeySeconds: null };
  return {
    blockedKeys: count,
    oldestBlockedKeySeconds: Math.max(0, Math.floor((fromDbTime(row.now).getTime() - fromDbTime(row.due).getTime()) / 1000)),
  };
}
