import type { Knex } from 'knex';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { migrateCrm } from '../../scripts/demo/crm-schema.js';
import { recordingLogger } from './logger.js';
import { post, signedPost } from './requests.js';

export const PARTNER = 'crashy';
export const PARTNER_SECRET = 'crash-secret-0123456789abcdef';

/** Tables and the partner the child processes need, created from the test process. */
export async function prepareSharedDatabase(knex: Knex): Promise<void> {
  const plugin = createWebhooksPlugin({ knex, logger: recordingLogger() });
  await plugin.migrate();
  await migrateCrm(knex);
  if (!(await knex.schema.hasTable('test_effects'))) {
    await knex.schema.createTable('test_effects', (t) => {
      t.increments('id');
      t.string('event_id', 191).notNullable();
      t.integer('pid').notNullable();
    });
  }
  if (!(await knex('webhook_partners').where({ slug: PARTNER }).first())) await plugin.partners.add({ slug: PARTNER, secret: PARTNER_SECRET });
}

/** A payment event: the demo handler inserts into crm_payments, whose unique payment_id forbids a second application. */
export function paymentEvent(id: string) {
  return signedPost('hmac-sha256', PARTNER_SECRET, { id, type: 'payment.processed', data: { order_id: `ord_${id}`, amount: 10, payment_id: id } });
}

/** Sends events with bounded concurrency; returns the ids answered 202. Connection errors are expected in crash tests. */
export async function sendEvents(ids: readonly string[], urlFor: (index: number) => string, concurrency: number): Promise<string[]> {
  const accepted: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const index = next++;
        try {
          const response = await post(urlFor(index), paymentEvent(ids[index]!));
          if (response.status === 202) accepted.push(ids[index]!);
        } catch {
          // the process was killed mid-request: this event was not acknowledged
        }
      }
    }),
  );
  return accepted;
}

export async function statusCounts(knex: Knex): Promise<Record<string, number>> {
  const rows: Array<{ status: string; n: number | string }> = await knex('webhook_outbox').select('status').count({ n: '*' }).groupBy('status');
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
