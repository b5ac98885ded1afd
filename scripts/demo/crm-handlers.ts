import type { HandlerContext, WebhookEvent, WebhooksPluginHandlers } from './handler-types.js';
import { toDbTime } from '../../plugin/store/time.js';

/**
 * The demo CRM's reaction to partner events. Every write goes through `trx`, so it commits together
 * with the event's `done` mark or not at all; the notify call is outside the database and so is at
 * least once, carrying the idempotency key so the receiving service can drop repeats.
 */
interface ContactData {
  email?: unknown;
  name?: unknown;
}
interface OrderData {
  order_id?: unknown;
  status?: unknown;
  amount?: unknown;
  payment_id?: unknown;
}

function dataOf<T>(event: WebhookEvent): T {
  const payload = event.payload as { data?: unknown };
  if (typeof payload !== 'object' || payload === null || typeof payload.data !== 'object' || payload.data === null) {
    throw new Error(`event ${event.id} has no "data" object`);
  }
  return payload.data as T;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`field "${field}" must be a non-empty string`);
  return value;
}

export interface CrmHandlerOptions {
  /** Internal service told about payments; none in the demo by default. */
  notifyUrl?: string;
  now(): number;
}

export function registerCrmHandlers(plugin: WebhooksPluginHandlers, options: CrmHandlerOptions): void {
  plugin.on('contact.updated', async (event: WebhookEvent, { trx }: HandlerContext) => {
    const data = dataOf<ContactData>(event);
    const email = requireString(data.email, 'data.email').toLowerCase();
    const row = {
      email,
      name: typeof data.name === 'string' ? data.name : null,
      updated_by_event: `${event.partner}:${event.id}`,
      updated_at: toDbTime(options.now()),
    };
    await trx('crm_contacts').insert(row).onConflict('email').merge(['name', 'updated_by_event', 'updated_at']);
  });

  plugin.on('order.updated', async (event: WebhookEvent, { trx }: HandlerContext) => {
    const data = dataOf<OrderData>(event);
    const row = { id: requireString(data.order_id, 'data.order_id'), status: requireString(data.status, 'data.status'), updated_at: toDbTime(options.now()) };
    await trx('crm_orders').insert(row).onConflict('id').merge(['status', 'updated_at']);
  });

  plugin.on('payment.processed', async (event: WebhookEvent, { trx, idempotencyKey, signal, logger }: HandlerContext) => {
    const data = dataOf<OrderData>(event);
    const orderId = requireString(data.order_id, 'data.order_id');
    const amount = Number(data.amount ?? 0);
    const now = toDbTime(options.now());
    await trx('crm_payments').insert({ order_id: orderId, payment_id: requireString(data.payment_id ?? event.id, 'data.payment_id'), amount, applied_at: now });
    await trx('crm_orders').insert({ id: orderId, status: 'paid', amount, paid_at: now, updated_at: now }).onConflict('id').merge(['status', 'amount', 'paid_at', 'updated_at']);
    if (options.notifyUrl) {
      const response = await fetch(options.notifyUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify({ event: 'order.paid', orderId, amount }),
        signal,
      });
      if (!response.ok) throw new Error(`notify service answered ${response.status}`);
      logger.info({ orderId }, 'notified the billing service');
    }
  });
}
