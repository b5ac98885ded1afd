import { once } from 'node:events';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { describeEachDatabase } from '../helpers/databases.js';
import { spawnChildHost, type ChildHost } from '../helpers/child-host.js';
import { PARTNER, paymentEvent, prepareSharedDatabase } from '../helpers/crash-setup.js';
import { startTestHost } from '../helpers/host.js';
import { post, waitFor } from '../helpers/requests.js';

// Issue 9 item 5: a handler calling process.exit charged an attempt to every event its process held,
// so three crashes took 20 events that never ran to `dead` along with the poison one.
const MAX_ATTEMPTS = 3;
const POISON_EXIT_CODE = 70; // what the fixture's poison handler exits with
const BASE_ENV = { CLAIM_MS: '3000', HANDLER_TIMEOUT_MS: '2500', MAX_ATTEMPTS: String(MAX_ATTEMPTS), CONCURRENCY: '1' };

interface Spawned {
  host: ChildHost;
  exit: Promise<number | null>;
}

async function spawn(url: string, env: Record<string, string>): Promise<Spawned> {
  const host = await spawnChildHost(url, { ...BASE_ENV, ...env });
  const exit =
    host.child.exitCode !== null ? Promise.resolve(host.child.exitCode) : once(host.child, 'exit').then(([code]) => code as number | null);
  return { host, exit };
}

async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function rowsOf(knex: Knex, ids: readonly string[]): Promise<Map<string, { status: string; attempts: number }>> {
  const rows: Array<{ event_id: string; status: string; attempts: number | string }> = await knex('webhook_outbox')
    .where({ partner: PARTNER })
    .whereIn('event_id', ids)
    .select('event_id', 'status', 'attempts');
  return new Map(rows.map((r) => [r.event_id, { status: r.status, attempts: Number(r.attempts) }]));
}

describeEachDatabase('a poison event that kills its process', (db) => {
  const children: ChildHost[] = [];
  before(async () => prepareSharedDatabase(db().knex));
  after(async () => {
    await Promise.all(children.map((c) => c.kill()));
  });

  /**
   * Accepted by a host that does not process, the poison event first: each process then claims them
   * all in one poll and runs the poison event first (concurrency 1) while the others wait in memory,
   * until the poison event has used its attempts. Returns each event's final row once all settle.
   */
  async function crashUntilDead(batchSize: number, stamp: string) {
    const { knex, url } = db();
    const poison = `poison_${stamp}`;
    const neighbours = Array.from({ length: 20 }, (_, i) => `neighbour_${stamp}_${i}`);
    const receiver = await startTestHost(knex);
    for (const id of [poison, ...neighbours]) expect((await post(receiver.url(PARTNER), paymentEvent(id))).status, id).to.equal(202);
    await receiver.close();

    const env = { POISON_EVENT_ID: poison, BATCH_SIZE: String(batchSize) };
    for (let crash = 1; crash <= MAX_ATTEMPTS; crash += 1) {
      const next = await spawn(url, env);
      children.push(next.host);
      expect(await within(next.exit, 30_000, `crash ${crash}`), `crash ${crash}`).to.equal(POISON_EXIT_CODE);
      if (crash === 1) {
        const held = await rowsOf(knex, neighbours);
        expect([...held.values()].filter((r) => r.status === 'processing').length, 'neighbours were held by the dead process').to.be.greaterThan(0);
      }
    }

    const last = await spawn(url, env);
    children.push(last.host);
    const all = [poison, ...neighbours];
    const settled = await waitFor(async () => {
      const rows = await rowsOf(knex, all);
      return [...rows.values()].every((r) => r.status === 'done' || r.status === 'dead') ? rows : undefined;
    }, 60_000, 'every event to be done or dead');
    expect(last.host.child.exitCode, 'the last process survived: the poison event was not run again').to.equal(null);
    await last.host.stop();

    expect(settled.get(poison), 'the poison event is dead after its own attempts').to.deep.equal({ status: 'dead', attempts: MAX_ATTEMPTS });
    const effects: Array<{ event_id: string }> = await knex('test_effects').whereIn('event_id', all).select('event_id');
    const applied = effects.map((e) => e.event_id).sort();
    expect(applied, 'each neighbour applied exactly once, the poison event never').to.deep.equal([...neighbours].sort());
    return { neighbours: neighbours.map((id) => ({ id, ...settled.get(id)! })) };
  }

  it('is the only event charged for its crashes: its neighbours held in memory run once, on their first attempt', async function () {
    this.timeout(120_000);
    const { neighbours } = await crashUntilDead(1, `alone_${Date.now()}`);
    expect(
      neighbours.filter((n) => n.status !== 'done' || n.attempts !== 1),
      'every neighbour done, charged only its one started run',
    ).to.deep.equal([]);
  });

  it('charges the events that shared its batch transaction once, then runs them alone', async function () {
    this.timeout(120_000);
    const batchSize = 10;
    const { neighbours } = await crashUntilDead(batchSize, `batch_${Date.now()}`);
    expect(neighbours.filter((n) => n.status !== 'done'), 'every neighbour done').to.deep.equal([]);
    expect(neighbours.filter((n) => n.attempts > 2), 'no neighbour charged more than the one shared run').to.deep.equal([]);
    const charged = neighbours.filter((n) => n.attempts === 2).length;
    expect(charged, 'the batch mates, and only they, were charged').to.be.within(1, batchSize - 1);
  });
});
