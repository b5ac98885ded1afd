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
const BASE_ENV = { LEASE_MS: '3000', HANDLER_TIMEOUT_MS: '2500', MAX_ATTEMPTS: String(MAX_ATTEMPTS), CONCURRENCY: '1', BATCH_SIZE: '1' };

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

  it('is the only event charged for its crashes: its neighbours held in memory run once, on their first attempt', async function () {
    this.timeout(120_000);
    const { knex, url } = db();
    const stamp = Date.now();
    const poison = `poison_${stamp}`;
    const neighbours = Array.from({ length: 20 }, (_, i) => `neighbour_${stamp}_${i}`);

    // Accepted by a host that does not process, the poison event first: the first process then claims
    // all of them in one poll and runs the poison event first (concurrency 1), while its neighbours
    // wait in memory, claimed but never started.
    const receiver = await startTestHost(knex);
    for (const id of [poison, ...neighbours]) expect((await post(receiver.url(PARTNER), paymentEvent(id))).status, id).to.equal(202);
    await receiver.close();
    const accepted = neighbours;

    const first = await spawn(url, { POISON_EVENT_ID: poison });
    children.push(first.host);
    expect(await within(first.exit, 30_000, 'the poison event to kill the first process')).to.equal(POISON_EXIT_CODE);
    const held = await rowsOf(knex, accepted);
    expect([...held.values()].filter((r) => r.status === 'processing').length, 'neighbours were held by the dead process').to.be.greaterThan(0);

    // Each later process takes the crash's leftovers back, claims them all, and dies on the poison
    // event again while the neighbours wait behind it, until the poison event runs out of attempts.
    for (let crash = 2; crash <= MAX_ATTEMPTS; crash += 1) {
      const next = await spawn(url, { POISON_EVENT_ID: poison });
      children.push(next.host);
      expect(await within(next.exit, 30_000, `crash ${crash}`), `crash ${crash}`).to.equal(POISON_EXIT_CODE);
    }

    const last = await spawn(url, { POISON_EVENT_ID: poison });
    children.push(last.host);
    const all = [poison, ...accepted];
    const settled = await waitFor(async () => {
      const rows = await rowsOf(knex, all);
      return [...rows.values()].every((r) => r.status === 'done' || r.status === 'dead') ? rows : undefined;
    }, 60_000, 'every event to be done or dead');
    expect(last.host.child.exitCode, 'the last process survived: the poison event was not run again').to.equal(null);

    expect(settled.get(poison), 'the poison event is dead after its own attempts').to.deep.equal({ status: 'dead', attempts: MAX_ATTEMPTS });
    const wrong = accepted.filter((id) => settled.get(id)?.status !== 'done' || settled.get(id)?.attempts !== 1);
    expect(
      wrong.map((id) => ({ id, ...settled.get(id) })),
      'every neighbour done, charged only its one started run',
    ).to.deep.equal([]);
    const effects: Array<{ event_id: string }> = await knex('test_effects').whereIn('event_id', all).select('event_id');
    const applied = effects.map((e) => e.event_id).sort();
    expect(applied, 'each neighbour applied exactly once, the poison event never').to.deep.equal([...accepted].sort());
    await last.host.stop();
  });
});
