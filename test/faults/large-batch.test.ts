import { expect } from 'chai';
import type { Socket } from 'node:net';
import { startFaultHost, type FaultHost } from './fault-host.js';
import { describeWithPrivateMariadb } from '../helpers/private-mariadb.js';
import { waitFor } from '../helpers/requests.js';

const EVENTS = 30;
const BURSTS = 5;
/** Just under the default 1 MiB body limit: each event alone is perfectly acceptable. */
const PAD = 1000 * 1000;

/**
 * Group commit puts events that arrive while a commit is in flight into one transaction, and their
 * rows into one multi-row INSERT. A burst of large events (each well within the 1 MiB body limit)
 * must still be accepted in full: a statement larger than the server's max_allowed_packet (16 MiB
 * on MariaDB by default) makes the server drop the connection, and the whole batch would be
 * answered 503 for a reason none of its requests caused.
 *
 * The burst is made deterministic by holding the first commit behind a lock (a transaction that
 * locked the whole dedupe table), so the next 30 events queue up as one batch behind it.
 */
/** Resolves once two consecutive 100 ms windows saw the event loop mostly idle. */
async function eventLoopIdle(): Promise<void> {
  let quiet = 0;
  while (quiet < 2) {
    const start = performance.eventLoopUtilization();
    await new Promise((resolve) => setTimeout(resolve, 100));
    quiet = performance.eventLoopUtilization(start).utilization < 0.1 ? quiet + 1 : 0;
  }
}

describeWithPrivateMariadb('faults: a burst of maximum-size events', (server) => {
  let fault: FaultHost | undefined;
  afterEach(async function () {
    this.timeout(30_000);
    await fault?.close();
    fault = undefined;
  });

  it('accepts every event of a 30 MB burst of 1 MB events, burst after burst', async function () {
    this.timeout(120_000);
    // The blocker below holds every commit for seconds on purpose, and the burst is 30 MB of bodies at
    // once: neither the commit deadline nor the unverified-bytes cap is what this test is about.
    fault = await startFaultHost(server(), {
      settings: { ingest: { maxConcurrentCommits: 1 }, receive: { commitTimeoutMs: 120_000, maxUnverifiedBytesPerPartner: 64 * 1024 * 1024 } },
    });
    const f = fault;
    const sockets: Socket[] = [];
    f.host.server.on('connection', (socket: Socket) => sockets.push(socket));
    const pad = 'x'.repeat(PAD);
    const accepted: string[] = [];
    // How an oversized statement fails is a race (an error packet, or a reset while the client is
    // still writing), so one burst may pass by luck; five in a row do not.
    for (let round = 0; round < BURSTS; round += 1) {
      const blocker = await f.inspect.transaction();
      try {
        // Next-key locks on every row and the supremum: any insert into the table waits.
        await blocker.raw('SELECT * FROM webhook_dedupe FOR UPDATE');
        const readBefore = sockets.reduce((sum, s) => sum + s.bytesRead, 0);
        const first = f.send(`first-${round}`);
        const ids = Array.from({ length: EVENTS }, (_, i) => `large-${round}-${i}`);
        const burst = ids.map((id) => f.sendBody(id, { id, type: 't', pad }));
        // Every event is queued for one batch once the server has read the whole burst off its
        // sockets and then (same process) gone idle: verifying and parsing 30 MB takes a while.
        const arrived = () => sockets.reduce((sum, s) => sum + s.bytesRead, 0) - readBefore >= EVENTS * PAD;
        await waitFor(() => (arrived() ? true : undefined), 20_000, 'the burst to arrive');
        await eventLoopIdle();
        await blocker.commit();
        expect((await first).status).to.equal(202);
        const statuses: Record<number, number> = {};
        for (const r of await Promise.all(burst)) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        expect(statuses, `answers to burst ${round + 1} of ${BURSTS}`).to.deep.equal({ 202: EVENTS });
        accepted.push(`first-${round}`, ...ids);
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
      }
    }
    await f.waitApplied(accepted, 60_000);
  });
});
