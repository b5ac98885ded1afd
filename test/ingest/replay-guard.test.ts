import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const SECRET = 'replay-secret-0123456789abcdef';

/**
 * Issue 9 item 1: a captured request of a scheme that signs neither id nor timestamp, sent again
 * under new unsigned ids (and, for GitHub, new unsigned event types), must not become new events.
 */
describeEachDatabase('replayed requests under new ids', (db) => {
  let host: TestHost;
  const applied: string[] = [];

  before(async () => {
    host = await startTestHost(db().knex, { processing: { pollIntervalMs: 20, maxPollIntervalMs: 50 } }, true);
    host.plugin.on('*', (event) => {
      applied.push(`${event.partner}:${event.id}:${event.type}`);
    });
    await host.plugin.partners.add({ slug: 'payments', secret: SECRET });
    await host.plugin.partners.add({ slug: 'gh', scheme: 'github', secret: SECRET });
    await host.plugin.partners.add({ slug: 'repeater', secret: SECRET });
    await host.plugin.partners.updateSettings('repeater', { dedupeBodyHash: false });
  });
  after(async () => host?.close());

  const outboxCount = async (partner: string) =>
    Number((await db().knex('webhook_outbox').where({ partner }).count({ n: '*' }))[0]!.n);

  it('applies a captured hmac-sha256 request once when it is replayed under ten new X-Webhook-Id values', async () => {
    // No id in the body: the header is the id, and only the body hash can tell the replays apart.
    const captured = signedPost('hmac-sha256', SECRET, { type: 'payment.processed', amount: 100 }, { id: 'pay-1' });
    expect((await post(host.url('payments'), captured)).body).to.deep.equal({ status: 'accepted', id: 'pay-1' });
    for (let i = 0; i < 10; i += 1) {
      const replay = { ...captured, headers: { ...captured.headers, 'x-webhook-id': `forged-${i}` } };
      const answer = await post(host.url('payments'), replay);
      expect(answer.status, `replay ${i}`).to.equal(200);
      expect(answer.body, `replay ${i}`).to.deep.equal({ status: 'duplicate', id: 'pay-1' });
    }
    await waitFor(() => (applied.some((a) => a.startsWith('payments:')) ? true : undefined), 5000, 'the original event to run');
    expect(await outboxCount('payments')).to.equal(1);
    expect(applied.filter((a) => a.startsWith('payments:'))).to.deep.equal(['payments:pay-1:payment.processed']);
    const dedupe = await db().knex('webhook_dedupe').where({ partner: 'payments' });
    expect(dedupe).to.have.length(1);
    expect(dedupe[0].body_sha256).to.match(/^[0-9a-f]{64}$/);
  });

  it('applies a captured GitHub delivery once when it is replayed under ten new delivery ids and event types', async () => {
    const body = JSON.stringify({ action: 'opened', issue: { number: 7 } });
    const captured = signedPost('github', SECRET, {}, { body, id: 'delivery-1', type: 'issues' });
    expect((await post(host.url('gh'), captured)).status).to.equal(202);
    for (let i = 0; i < 10; i += 1) {
      const replay = { ...captured, headers: { ...captured.headers, 'x-github-delivery': `forged-${i}`, 'x-github-event': `push${i}` } };
      const answer = await post(host.url('gh'), replay);
      expect(answer.body, `replay ${i}`).to.deep.equal({ status: 'duplicate', id: 'delivery-1' });
    }
    await waitFor(() => (applied.some((a) => a.startsWith('gh:')) ? true : undefined), 5000, 'the original delivery to run');
    expect(await outboxCount('gh')).to.equal(1);
    expect(applied.filter((a) => a.startsWith('gh:'))).to.deep.equal(['gh:delivery-1:issues.opened']);
  });

  it('ignores an unsigned X-Webhook-Id when the signed body carries the id', async () => {
    const captured = signedPost('hmac-sha256', SECRET, { id: 'in-body-1', type: 't' }, { id: 'in-body-1' });
    expect((await post(host.url('payments'), captured)).status).to.equal(202);
    const replay = { ...captured, headers: { ...captured.headers, 'x-webhook-id': 'forged-header' } };
    expect((await post(host.url('payments'), replay)).body).to.deep.equal({ status: 'duplicate', id: 'in-body-1' });
  });

  it('accepts the same body under new ids as new events for a partner that turned the body-hash dedupe off', async () => {
    const captured = signedPost('hmac-sha256', SECRET, { type: 'tick' }, { id: 'tick-1' });
    expect((await post(host.url('repeater'), captured)).status).to.equal(202);
    const again = await post(host.url('repeater'), { ...captured, headers: { ...captured.headers, 'x-webhook-id': 'tick-2' } });
    expect(again.body).to.deep.equal({ status: 'accepted', id: 'tick-2' });
    expect(await outboxCount('repeater')).to.equal(2);
  });

  it('refuses a dedupeBodyHash setting that is not a boolean', async () => {
    let caught: unknown;
    try {
      await host.plugin.partners.updateSettings('repeater', { dedupeBodyHash: 'no' });
    } catch (error) {
      caught = error;
    }
    expect((caught as Error | undefined)?.message).to.match(/dedupeBodyHash/);
  });
});
