import { expect } from 'chai';
import sinon from 'sinon';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';
import type { Handler, WebhookEvent } from '../../plugin/index.js';

const SECRET = 'processing-secret-0123456789';

describeEachDatabase('processing', (db) => {
  let host: TestHost | undefined;
  let seq = 0;
  const nextId = () => `evt_p_${Date.now()}_${(seq += 1)}`;

  before(async () => {
    await db().knex.schema.createTable('crm_effects', (t) => {
      t.increments('id');
      t.string('event_id', 191).notNullable();
      t.integer('attempt').notNullable();
    });
  });
  afterEach(async () => {
    await host?.close();
    host = undefined;
    sinon.restore();
  });

  async function startWith(handlers: Record<string, Handler>, options: Parameters<typeof startTestHost>[1] = {}) {
    host = await startTestHost(db().knex, { processing: { maxPollIntervalMs: 100, pollIntervalMs: 20, ...options.processing }, ...options });
    for (const [type, handler] of Object.entries(handlers)) host.plugin.on(type, handler);
    if (!(await db().knex('webhook_partners').where({ slug: 'acme' }).first())) await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    await host.plugin.start();
    return host;
  }

  // dateStrings: the test pool's driver timezone is deliberately not UTC (see helpers/databases.ts).
  const outboxRow = (id: string) => db().knex('webhook_outbox').where({ partner: 'acme', event_id: id }).options({ dateStrings: true }).first();
  const effects = (id: string) => db().knex('crm_effects').where({ event_id: id });

  it('applies an accepted event through its handler and marks it done within a second', async () => {
    const seen: WebhookEvent[] = [];
    const h = await startWith({
      'contact.updated': async (event, { trx }) => {
        seen.push(event);
        await trx('crm_effects').insert({ event_id: event.id, attempt: event.attempt });
      },
    });
    const id = nextId();
    const response = await post(h.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'contact.updated', data: { x: 1 } }));
    expect(response.status).to.equal(202);
    const row = await waitFor(async () => ((await outboxRow(id))?.status === 'done' ? outboxRow(id) : undefined), 1000, 'the event to be done');
    expect(row.attempts).to.equal(1);
    expect(row.locked_by).to.equal(null);
    expect(await effects(id)).to.have.length(1);
    expect(seen[0]).to.deep.include({ partner: 'acme', id, type: 'contact.updated', attempt: 1 });
    expect(seen[0]!.payload).to.deep.equal({ id, type: 'contact.updated', data: { x: 1 } });
  });

  it('marks an event no handler matches as done without failing it', async () => {
    const h = await startWith({});
    const id = nextId();
    await post(h.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'nobody.listens' }));
    const row = await waitFor(async () => ((await outboxRow(id))?.status === 'done' ? outboxRow(id) : undefined), 2000, 'done');
    expect(row.last_error).to.equal(null);
  });

  it('rolls back the CRM writes of a failed attempt and retries on the backoff schedule', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'], shouldAdvanceTime: true });
    let calls = 0;
    const h = await startWith(
      {
        'order.updated': async (event, { trx }) => {
          calls += 1;
          await trx('crm_effects').insert({ event_id: event.id, attempt: event.attempt });
          if (calls <= 2) throw new Error(`billing down (call ${calls})`);
        },
      },
      { random: () => 0, processing: { backoff: { initialMs: 10_000, factor: 2, jitter: 0.2 } } },
    );
    const id = nextId();
    expect((await post(h.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'order.updated' }))).status).to.equal(202);

    const first = await waitFor(async () => ((await outboxRow(id))?.attempts === 1 && (await outboxRow(id))?.status === 'pending' ? outboxRow(id) : undefined), 2000, 'first failure');
    expect(first.last_error).to.include('billing down (call 1)');
    const firstDelay = Date.parse(`${String(first.next_attempt_at).replace(' ', 'T')}Z`) - Date.now();
    // Slack: the fake clock advances in 20 ms steps, and the database clock is read over a round trip.
    expect(firstDelay).to.be.within(9_000, 10_100);
    expect(await effects(id)).to.have.length(0);

    clock.tick(10_000);
    const second = await waitFor(async () => ((await outboxRow(id))?.attempts === 2 && (await outboxRow(id))?.status === 'pending' ? outboxRow(id) : undefined), 2000, 'second failure');
    const secondDelay = Date.parse(`${String(second.next_attempt_at).replace(' ', 'T')}Z`) - Date.now();
    expect(secondDelay).to.be.within(19_000, 20_100);

    clock.tick(20_000);
    const done = await waitFor(async () => ((await outboxRow(id))?.status === 'done' ? outboxRow(id) : undefined), 2000, 'success');
    expect(done.attempts).to.equal(3);
    expect(done.last_error).to.equal(null);
    const applied = await effects(id);
    expect(applied).to.have.length(1);
    expect(applied[0].attempt).to.equal(3);
  });

  it('ends an always-failing event dead after the last attempt, with its error', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'], shouldAdvanceTime: true });
    const h = await startWith(
      {
        'payment.processed': () => {
          throw new Error('card processor rejected the payload');
        },
      },
      { random: () => 0, processing: { maxAttempts: 3, backoff: { initialMs: 1000, factor: 2 } } },
    );
    const id = nextId();
    await post(h.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'payment.processed' }));
    for (const attempts of [1, 2]) {
      await waitFor(async () => ((await outboxRow(id))?.attempts === attempts && (await outboxRow(id))?.status === 'pending' ? true : undefined), 2000, `attempt ${attempts}`);
      clock.tick(5_000);
    }
    const dead = await waitFor(async () => ((await outboxRow(id))?.status === 'dead' ? outboxRow(id) : undefined), 2000, 'dead');
    expect(dead.attempts).to.equal(3);
    expect(dead.last_error).to.include('card processor rejected the payload');
    expect(dead.processed_at).to.not.equal(null);
  });

  it('fails an attempt that runs past the handler timeout and rolls back its writes', async () => {
    let calls = 0;
    const h = await startWith(
      {
        'slow.event': async (event, { trx, signal }) => {
          calls += 1;
          await trx('crm_effects').insert({ event_id: event.id, attempt: event.attempt });
          if (calls === 1) await new Promise((resolve) => signal.addEventListener('abort', resolve));
        },
      },
      { processing: { handlerTimeoutMs: 200, backoff: { initialMs: 50, factor: 1, jitter: 0 } } },
    );
    const id = nextId();
    await post(h.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'slow.event' }));
    const row = await waitFor(async () => ((await outboxRow(id))?.status === 'done' ? outboxRow(id) : undefined), 5000, 'done after a timeout');
    expect(row.attempts).to.equal(2);
    const applied = await effects(id);
    expect(applied.map((e: { attempt: number }) => e.attempt)).to.deep.equal([2]);
  });
});
