import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { spawnChildHost, type ChildHost } from '../helpers/child-host.js';
import { PARTNER, prepareSharedDatabase, sendEvents, statusCounts } from '../helpers/crash-setup.js';
import { waitFor } from '../helpers/requests.js';

describeEachDatabase('crash recovery', (db) => {
  const children: ChildHost[] = [];
  before(async () => prepareSharedDatabase(db().knex));
  after(async () => {
    await Promise.all(children.map((c) => c.kill()));
  });

  it('processes every accepted event exactly once after the process is killed with SIGKILL mid-work', async function () {
    this.timeout(90_000);
    const { knex } = db();
    const first = await spawnChildHost(db().url, { CLAIM_MS: '1500', HANDLER_TIMEOUT_MS: '1000', HANDLER_DELAY_MS: '15', CONCURRENCY: '4' });
    children.push(first);
    const ids = Array.from({ length: 400 }, (_, i) => `crash_${Date.now()}_${i}`);

    // Kill while events are still arriving and being applied.
    const sending = sendEvents(ids, () => first.url(PARTNER), 16);
    await waitFor(async () => ((await statusCounts(knex)).done ?? 0) >= 40 || undefined, 20_000, 'some events to be done');
    await first.kill();
    const accepted = await sending;
    const atKill = await statusCounts(knex);
    expect(atKill.done ?? 0, 'some work finished before the kill').to.be.greaterThan(0);
    expect((atKill.processing ?? 0) + (atKill.pending ?? 0), 'some work was unfinished at the kill').to.be.greaterThan(0);

    const acceptedRows = await knex('webhook_outbox').where({ partner: PARTNER }).whereIn('event_id', accepted).count({ n: '*' });
    expect(Number(acceptedRows[0]!.n), 'every 202 has its row').to.equal(accepted.length);

    const second = await spawnChildHost(db().url, { CLAIM_MS: '1500', HANDLER_TIMEOUT_MS: '1000', CONCURRENCY: '8' });
    children.push(second);
    await waitFor(async () => {
      const counts = await statusCounts(knex);
      return (counts.pending ?? 0) + (counts.processing ?? 0) === 0 ? counts : undefined;
    }, 30_000, 'the new process to finish the backlog');

    const rows = await knex('webhook_outbox').where({ partner: PARTNER }).select('event_id', 'status');
    expect(rows.filter((r: { status: string }) => r.status !== 'done'), 'no event dead or stuck').to.deep.equal([]);
    const effects = await knex('test_effects').select('event_id');
    const applied = effects.map((e: { event_id: string }) => e.event_id);
    expect(new Set(applied).size, 'each event applied once').to.equal(applied.length);
    expect(applied.length, 'every stored event applied').to.equal(rows.length);
    const payments = await knex('crm_payments').count({ n: '*' });
    expect(Number(payments[0]!.n)).to.equal(rows.length);
    await second.stop();
  });
});
