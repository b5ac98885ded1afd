import { expect } from 'chai';
import { startFaultHost, type FaultHost } from './fault-host.js';
import { describeWithPrivateMariadb } from '../helpers/private-mariadb.js';

const SENDERS = 8;
const CYCLES = 16;
const RUN_MS = 400;
const OUTAGE_MS = 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Crash safety of ingest under load: eight clients send new events without pause while the
 * database server is killed (SIGKILL: no shutdown work, commits in flight cut off) or stopped
 * (SIGTERM) and restarted, sixteen times over. Every answer must be 202 or 503; every 202 must name
 * an event that is in the outbox and the dedupe table afterwards, and is processed exactly once.
 * A 503 for an event that was in fact committed is allowed (the commit's answer was lost with the
 * connection): the partner retries and gets 200 duplicate.
 *
 * Run by `npm run test:faults` (about a minute), not by `npm test`.
 */
describeWithPrivateMariadb('faults: the database crashes again and again under ingest load', (server) => {
  let fault: FaultHost | undefined;
  afterEach(async function () {
    this.timeout(30_000);
    if (!server().running) await server().start();
    await fault?.close();
    fault = undefined;
  });

  it('never answers 2xx for an event that is not stored, and processes every accepted event once', async function () {
    this.timeout(180_000);
    fault = await startFaultHost(server());
    const f = fault;
    const answers = new Map<string, number>();
    let running = true;
    let seq = 0;
    const sender = async (n: number) => {
      while (running) {
        const id = `soak-${n}-${(seq += 1)}`;
        const response = await f.send(id);
        answers.set(id, response.status);
        if (response.status === 503) await sleep(20); // a real partner backs off; this keeps the log readable
      }
    };
    const senders = Array.from({ length: SENDERS }, (_, n) => sender(n));
    try {
      for (let cycle = 0; cycle < CYCLES; cycle += 1) {
        await sleep(RUN_MS);
        if (cycle % 2 === 0) await server().kill();
        else await server().stop();
        await sleep(OUTAGE_MS);
        await server().start();
      }
      await sleep(RUN_MS);
    } finally {
      running = false;
      await Promise.all(senders);
    }

    const byStatus: Record<number, number> = {};
    for (const status of answers.values()) byStatus[status] = (byStatus[status] ?? 0) + 1;
    const accepted = [...answers].filter(([, status]) => status === 202).map(([id]) => id);
    const refused = [...answers].filter(([, status]) => status === 503).map(([id]) => id);
    expect(Object.keys(byStatus).sort(), JSON.stringify(byStatus)).to.deep.equal(['202', '503']);

    expect(await f.missingRows(accepted), '202 answers without an outbox row').to.deep.equal([]);
    const deduped = await f.inspect('webhook_dedupe').whereIn('event_id', accepted).count({ n: '*' });
    expect(Number(deduped[0]!.n), '202 answers without a dedupe row').to.equal(accepted.length);
    await f.waitApplied(accepted, 90_000);
    expect(f.duplicates).to.deep.equal([]);
    const committedAnyway = refused.length - (await f.missingRows(refused)).length;
    console.log(
      `      ${CYCLES} crashes (SIGKILL and SIGTERM in turn) under ${SENDERS} senders: ${JSON.stringify(byStatus)}; ` +
        `every 202 stored and applied once; ${committedAnyway} of the 503s had in fact committed (their answer was lost)`,
    );
  });
});
