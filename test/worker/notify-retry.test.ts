import { expect } from 'chai';
import nock from 'nock';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';
import { migrateCrm } from '../../scripts/demo/crm-schema.js';
import { registerCrmHandlers } from '../../scripts/demo/crm-handlers.js';

const SECRET = 'notify-secret-0123456789abcdef';
const NOTIFY = 'http://billing.internal';

describeEachDatabase('payment notify call', (db) => {
  let host: TestHost;

  before(async () => {
    await migrateCrm(db().knex);
    host = await startTestHost(db().knex, {
      processing: { pollIntervalMs: 20, maxPollIntervalMs: 50, backoff: { initialMs: 50, factor: 1, jitter: 0 } },
    });
    registerCrmHandlers(host.plugin, { notifyUrl: `${NOTIFY}/notify`, now: () => Date.now() });
    await host.plugin.partners.add({ slug: 'payments', secret: SECRET });
    await host.plugin.start();
  });
  after(async () => {
    nock.cleanAll();
    await host?.close();
  });

  it('retries when the notify service fails, with the same idempotency key, and pays the order once', async () => {
    const keys: string[] = [];
    nock(NOTIFY)
      .post('/notify')
      .reply(function () {
        keys.push(String(this.req.headers['idempotency-key']));
        return [500, 'unavailable'];
      })
      .post('/notify')
      .reply(function () {
        keys.push(String(this.req.headers['idempotency-key']));
        return [200, { ok: true }];
      });
    const id = `pay_${Date.now()}`;
    const event = { id, type: 'payment.processed', data: { order_id: `ord_${id}`, amount: 42.5, payment_id: id } };
    expect((await post(host.url('payments'), signedPost('hmac-sha256', SECRET, event))).status).to.equal(202);

    const row = await waitFor(async () => {
      const r = await db().knex('webhook_outbox').where({ partner: 'payments', event_id: id }).first();
      return r?.status === 'done' ? r : undefined;
    }, 5000, 'the payment event to be done');
    expect(row.attempts).to.equal(2);
    expect(keys).to.deep.equal([`payments:${id}`, `payments:${id}`]);
    expect(nock.isDone()).to.equal(true);
    const payments = await db().knex('crm_payments').where({ payment_id: id });
    expect(payments).to.have.length(1);
    const order = await db().knex('crm_orders').where({ id: `ord_${id}` }).first();
    expect(order.status).to.equal('paid');
  });
});
