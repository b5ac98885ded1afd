import type { Knex } from 'knex';
import type { Dialect } from '../store/dialect.js';
import { lockOrderMark, raiseOrderMark, recordSkipped, STALE } from '../store/order-marks.js';
import type { ClaimedEvent } from '../store/claims.js';
import type { Handler } from '../types.js';
import type { HandlerRegistry } from './registry.js';

/** What the high-water mark says about an ordered event; null for an unordered one. */
export type OrderGate = { stale: boolean } | null;

/**
 * Issue 12, inside the event's transaction before its handlers: locks the key's high-water mark and
 * says whether a newer version of the record was already applied. An equal version is not stale
 * (two changes in the same millisecond both run, in received order).
 */
export async function openOrderGate(trx: Knex.Transaction, dialect: Dialect, event: ClaimedEvent): Promise<OrderGate> {
  if (!event.order) return null;
  const applied = await lockOrderMark(trx, dialect, event.partner, event.order.key);
  return { stale: applied !== null && event.order.version < applied };
}

/** The handlers to call: a stale event reaches only those registered with `{ stale: 'call' }`. */
export function handlersThrough(registry: HandlerRegistry, event: ClaimedEvent, gate: OrderGate): Handler[] {
  return gate?.stale ? registry.staleHandlersFor(event.eventType) : registry.handlersFor(event.eventType);
}

/** After the handlers, before the done mark, in the same transaction: raise the mark, or record the skip. */
export async function closeOrderGate(trx: Knex.Transaction, event: ClaimedEvent, gate: OrderGate, nowMs: number): Promise<void> {
  if (!gate || !event.order) return;
  if (gate.stale) await recordSkipped(trx, event.outboxId, STALE);
  else await raiseOrderMark(trx, { partner: event.partner, key: event.order.key, version: event.order.version, outboxId: event.outboxId, nowMs });
}
