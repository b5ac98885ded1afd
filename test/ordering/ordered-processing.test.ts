import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const SECRET = 'ordering-secret-0123456789abcdef';

/** Partner events carry the record in data.key and its version in data.v (issue 12). */
describeEachDatabase('ordered processing per record', (db) => {
  let host: TestHost;
  const applied: string[] = [];
  const staleSeen: string[] = [];
  const failing = new Set<string>(); // key@version whose handler throws
  let sequence = 0;

  const send = async (partner: string, key: string | undefined, v: number, type = 'record.updated') => {
    const id = `evt_${partner}_${key}_${v}_${(sequence += 1)}`;
    const answer = await post(host.url(partner), signedPost('hmac-sha256', SECRET, { id, type, data: { key, v } }));
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    return id;
  };
  const rowOf = (id: string) => db().knex('webhook_outbox').where({ event_id: id }).first();
  const waitForRow = (id: string, test: (row: Record<string, unknown>) => boolean, what: string) =>
    waitFor(async () => {
      const row = await rowOf(id);
      return row && test(row) ? row : undefined;
    }, 10_000, what);
  const appliedFor = (key: string) => applied.filter((a) => a.startsWith(`${key}@`));
  const metricsText = () => host.plugin.metrics.metrics();

  before(async () => {
    host = await startTestHost(db().knex, {
      authorize: () => true,
      processing: { pollIntervalMs: 20, maxPollIntervalMs: 50, maxAttempts: 2, backoff: { initialMs: 300, factor: 1, jitter: 0 } },
      // Figures read right after a change: no one-second cache between the change and the check.
      health: { cacheMs: 0 },
    });
    const order = { orderKeyFrom: 'body:data.key', versionFrom: 'body:data.v' };
    await host.plugin.partners.add({ slug: 'ordered', secret: SECRET, settings: order });
    await host.plugin.partners.add({ slug: 'strict', secret: SECRET, settings: { ...order, onDead: 'block' } });
    host.plugin.on('record.updated', (event) => {
      const { id, payload } = event as { id: string; payload: { data: { key: string; v: number } } };
      const version = `${payload.data.key}@${payload.data.v}`;
      if (failing.has(version)) throw new Error(`handler refused ${id}`);
      applied.push(version);
    });
    host.plugin.on(
      'audit.logged',
      (event, context) => {
        staleSeen.push(`${(event.payload as { data: { v: number } }).data.v}:${context.stale}`);
      },
      { stale: 'call' },
    );
    await host.plugin.start();
  });
  after(async () => {
    await host?.close();
  });

  it('skips an older update that arrives after a newer one, records it as stale, and counts it', async () => {
    const newer = await send('ordered', 's', 2);
    await waitForRow(newer, (r) => r.status === 'done', 'the newer update to be done');
    const older = await send('ordered', 's', 1);
    const row = await waitForRow(older, (r) => r.status === 'done', 'the older update to be done');

    expect(appliedFor('s')).to.deep.equal(['s@2']);
    expect(row.skipped_reason).to.equal('stale');
    const shown = (await (await fetch(`${host.baseUrl}/_admin/outbox/${row.id}`)).json()) as Record<string, unknown>;
    expect(shown).to.include({ status: 'done', skippedReason: 'stale', orderKey: 's', orderVersion: 1 });
    const mark = await db().knex('webhook_order_marks').where({ partner: 'ordered', order_key: 's' }).first();
    expect(Number(mark.version)).to.equal(2);
    expect(await metricsText()).to.match(/crm_webhooks_attempts_total\{partner="ordered",outcome="stale"\} 1\b/);
  });

  it('calls a handler registered with { stale: "call" } for a stale event, with context.stale', async () => {
    const newer = await send('ordered', 'audit-1', 5, 'audit.logged');
    await waitForRow(newer, (r) => r.status === 'done', 'the newer audit event');
    const older = await send('ordered', 'audit-1', 4, 'audit.logged');
    await waitForRow(older, (r) => r.status === 'done', 'the older audit event');
    expect(staleSeen).to.deep.equal(['5:false', '4:true']);
  });

  it('keeps a key\'s later events waiting while an earlier one waits for its retry', async () => {
    failing.add('h@1');
    const first = await send('ordered', 'h', 1);
    // The first attempt fails; the retry is due 300 ms later. Version 2 arrives meanwhile.
    await waitForRow(first, (r) => r.status === 'pending' && Number(r.attempts) === 1, 'the first attempt to fail');
    failing.delete('h@1');
    const second = await send('ordered', 'h', 2);
    await waitForRow(second, (r) => r.status === 'done', 'version 2 to be done');
    expect(appliedFor('h')).to.deep.equal(['h@1', 'h@2']);
  });

  it('moves the key on once the failing event is dead (onDead continue), and skips that event as stale when replayed', async () => {
    failing.add('c@1');
    const first = await send('ordered', 'c', 1);
    await waitForRow(first, (r) => Number(r.attempts) >= 1 && r.status !== 'processing', 'the first attempt to fail');
    const second = await send('ordered', 'c', 2);
    await waitForRow(second, (r) => r.status === 'done', 'version 2 to run after version 1 died');
    expect((await rowOf(first)).status).to.equal('dead');
    expect(appliedFor('c')).to.deep.equal(['c@2']);

    failing.delete('c@1');
    // Admin writes are same-origin JSON only (CSRF guard), as a script or the admin page sends them.
    const replayed = await fetch(`${host.baseUrl}/_admin/outbox/${(await rowOf(first)).id}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(replayed.status).to.equal(200);
    const row = await waitForRow(first, (r) => r.status === 'done', 'the replayed event to be done');
    expect(row.skipped_reason).to.equal('stale');
    expect(appliedFor('c')).to.deep.equal(['c@2']);
  });

  it('holds the key after a dead event under onDead block until the event is replayed, and reports the blocked key', async () => {
    failing.add('k@1');
    const first = await send('strict', 'k', 1);
    await waitForRow(first, (r) => r.status === 'dead', 'version 1 to die');
    const second = await send('strict', 'k', 2);
    // An event of another key, sent after version 2, shows the workers have polled past it.
    const other = await send('strict', 'other', 1);
    await waitForRow(other, (r) => r.status === 'done', 'the other key to be done');
    expect((await rowOf(second)).status, 'version 2 waits while version 1 is dead').to.equal('pending');
    const health = await host.plugin.health();
    expect(health.blockedKeys).to.equal(1);
    expect(health.oldestBlockedKeySeconds).to.be.a('number');
    expect(await metricsText()).to.match(/crm_webhooks_order_blocked_keys 1\b/);

    failing.delete('k@1');
    expect((await host.plugin.outbox.replay([Number((await rowOf(first)).id)])).replayed).to.have.length(1);
    await waitForRow(second, (r) => r.status === 'done', 'version 2 to run after the replay');
    expect(appliedFor('k')).to.deep.equal(['k@1', 'k@2']);
    expect((await host.plugin.health()).blockedKeys).to.equal(0);
  });

  it('processes an event whose key cannot be read as an unordered event, and counts it', async () => {
    const id = await send('ordered', undefined, 3);
    const row = await waitForRow(id, (r) => r.status === 'done', 'the keyless event to be done');
    expect(row.order_key).to.equal(null);
    expect(appliedFor('undefined')).to.deep.equal(['undefined@3']);
    expect(await metricsText()).to.match(/crm_webhooks_order_unreadable_total\{partner="ordered",field="key"\} 1\b/);
  });
});
