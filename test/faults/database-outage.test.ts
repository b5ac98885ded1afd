import { expect } from 'chai';
import { startFaultHost, type FaultHost } from './fault-host.js';
import { describeWithPrivateMariadb } from '../helpers/private-mariadb.js';
import { startTestHost } from '../helpers/host.js';
import { waitFor } from '../helpers/requests.js';

/** Longest a request may take while the database is down: it is refused, not queued. */
const OUTAGE_ANSWER_MS = 3000;

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describeWithPrivateMariadb('faults: the database stops while requests arrive', (server) => {
  let fault: FaultHost | undefined;
  afterEach(async function () {
    this.timeout(30_000);
    if (!server().running) await server().start();
    await fault?.close();
    fault = undefined;
  });

  it('answers 503 with Retry-After during the outage, and processes every earlier 202 after the restart with no manual step', async function () {
    this.timeout(90_000);
    const held = gate();
    let inside = 0;
    // Four handlers wait inside their transactions when the server stops; a queue of four means
    // the later events are committed as pending rows, left for the poller.
    fault = await startFaultHost(server(), {
      settings: { processing: { concurrency: 4, memoryQueueLimit: 4 } },
      before: async (event) => {
        if (event.type === 'held' && event.attempt === 1) {
          inside += 1;
          await held.opened;
        }
      },
    });
    const f = fault;
    const accepted: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await f.send(`held-${i}`, 'held');
      expect(response.status).to.equal(202);
      accepted.push(`held-${i}`);
    }
    await waitFor(() => (inside === 4 ? true : undefined), 10_000, 'four handlers inside their transactions');
    for (let i = 0; i < 12; i += 1) {
      const response = await f.send(`queued-${i}`);
      expect(response.status).to.equal(202);
      accepted.push(`queued-${i}`);
    }
    expect(await f.inspect('webhook_outbox').where({ status: 'pending' }).count({ n: '*' }).then((r) => Number(r[0]!.n))).to.be.above(0);

    await server().stop();
    const during = [];
    for (let i = 0; i < 10; i += 1) during.push(await f.send(`outage-${i}`));
    during.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => f.send(`outage-burst-${i}`)))));
    held.open(); // the held handlers now try to commit into a stopped server
    console.log(`      ${during.length} requests during the outage: all ${[...new Set(during.map((r) => r.status))].join(', ')}, slowest ${Math.max(...during.map((r) => r.ms)).toFixed(0)} ms`);
    for (const response of during) {
      expect(response.status, JSON.stringify(response.body)).to.equal(503);
      expect(response.body.error).to.equal('store_unavailable');
      expect(Number(response.headers.get('retry-after'))).to.be.above(0);
      expect(response.ms).to.be.below(OUTAGE_ANSWER_MS);
    }

    await server().start();
    const restarted = performance.now();
    await f.waitApplied(accepted, 30_000);
    console.log(`      ${accepted.length} events accepted before the stop: all applied once, ${(performance.now() - restarted).toFixed(0)} ms after the restart`);
    expect(await f.missingRows(accepted)).to.deep.equal([]);
    expect(f.duplicates).to.deep.equal([]);
    const after = await f.send('after-restart');
    expect(after.status).to.equal(202);
    await f.waitApplied(['after-restart']);
  });

  it('answers 503, not 500, when the partners cannot be loaded because the database is down', async function () {
    this.timeout(60_000);
    fault = await startFaultHost(server());
    const f = fault;
    // A fresh plugin instance whose directory has never loaded: nothing in memory to fall back on.
    const cold = await startTestHost(f.knex);
    try {
      await server().stop();
      for (const slug of ['faulty', 'nobody']) {
        const response = await fetch(cold.url(slug), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        const body = (await response.json()) as Record<string, unknown>;
        expect(response.status, JSON.stringify(body)).to.equal(503);
        expect(body.error).to.equal('store_unavailable');
        expect(Number(response.headers.get('retry-after'))).to.be.above(0);
      }
    } finally {
      await cold.close();
    }
  });
});
