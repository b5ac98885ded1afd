import { expect } from 'chai';
import { startFaultHost, type FaultHost } from './fault-host.js';
import { describeWithPrivateMariadb } from '../helpers/private-mariadb.js';
import { waitFor } from '../helpers/requests.js';

const POOL_MAX = 2;
const ACQUIRE_TIMEOUT_MS = 1000;
/**
 * The slowest answer allowed while the pool is exhausted. A request may wait for a connection
 * twice: once for the partner directory's reload (when its snapshot is past the refresh window)
 * and once for the commit; each wait ends at acquireConnectionTimeout.
 */
const ANSWER_BOUND_MS = 2 * ACQUIRE_TIMEOUT_MS + 1500;

/**
 * Slow handlers hold every connection of a small pool (max 2, handler concurrency 4). Ingest then
 * cannot get a connection: it must answer 503 with Retry-After within the bound, never hang, and
 * never answer 2xx for an event it did not commit. Once the handlers finish, everything that was
 * accepted is processed.
 */
describeWithPrivateMariadb('faults: the pool exhausted by slow handlers', (server) => {
  let fault: FaultHost | undefined;
  afterEach(async function () {
    this.timeout(30_000);
    await fault?.close();
    fault = undefined;
  });

  it('answers 503 within the acquire timeout, never 2xx without a row, and catches up afterwards', async function () {
    this.timeout(90_000);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding = 0;
    fault = await startFaultHost(server(), {
      poolMax: POOL_MAX,
      acquireConnectionTimeout: ACQUIRE_TIMEOUT_MS,
      settings: { processing: { concurrency: 4, handlerTimeoutMs: 20_000, claimMs: 30_000 } },
      before: async (event, { trx }) => {
        if (event.type !== 'slow' || event.attempt !== 1) return;
        await trx.raw('SELECT 1');
        holding += 1;
        await released;
      },
    });
    const f = fault;
    const accepted: string[] = [];
    for (const id of ['slow-1', 'slow-2']) {
      expect((await f.send(id, 'slow')).status).to.equal(202);
      accepted.push(id);
    }
    await waitFor(() => (holding === POOL_MAX ? true : undefined), 10_000, 'handlers holding every connection');

    const ids = Array.from({ length: 12 }, (_, i) => `starved-${i}`);
    const responses = await Promise.all(ids.map((id) => f.send(id)));
    const statuses: Record<number, number> = {};
    for (const [i, response] of responses.entries()) {
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      expect(response.ms, `answer time of ${ids[i]}`).to.be.below(ANSWER_BOUND_MS);
      expect([202, 503], JSON.stringify(response.body)).to.include(response.status);
      if (response.status === 503) expect(Number(response.headers.get('retry-after'))).to.be.above(0);
      if (response.status === 202) accepted.push(ids[i]!);
    }
    console.log(`      pool of ${POOL_MAX} held by slow handlers: ${JSON.stringify(statuses)}, slowest answer ${Math.max(...responses.map((r) => r.ms)).toFixed(0)} ms (bound ${ANSWER_BOUND_MS} ms)`);
    expect(statuses[503], 'requests refused while the pool was exhausted').to.be.above(0);
    expect(await f.missingRows(accepted)).to.deep.equal([]);

    release();
    const later = Array.from({ length: 10 }, (_, i) => `after-${i}`);
    let probes = 0;
    await waitFor(
      async () => {
        const id = `probe-${(probes += 1)}`;
        if ((await f.send(id)).status !== 202) return undefined;
        accepted.push(id);
        return true;
      },
      10_000,
      'ingest to recover',
    );
    const laterResponses = await Promise.all(later.map((id) => f.send(id)));
    expect(laterResponses.map((r) => r.status)).to.deep.equal(Array(10).fill(202));
    accepted.push(...later);
    await f.waitApplied(accepted, 60_000);
    expect(await f.missingRows(accepted)).to.deep.equal([]);
    expect(f.duplicates).to.deep.equal([]);
  });
});
