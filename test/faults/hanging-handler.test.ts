import { expect } from 'chai';
import { APPLIED_TABLE, startFaultHost, type FaultHost } from './fault-host.js';
import { describeWithPrivateMariadb } from '../helpers/private-mariadb.js';
import { waitFor } from '../helpers/requests.js';

const HANDLER_TIMEOUT_MS = 500;
/** Long enough to see the row waiting as pending between the two attempts. */
const RETRY_DELAY_MS = 1500;

/**
 * A handler that never returns (and ignores its abort signal) fails its attempt at
 * handlerTimeoutMs: its transaction is rolled back, its connection goes back to the pool, the row
 * goes back to pending with the attempt counted and the timeout as last_error, and a later attempt
 * succeeds once the handler behaves.
 */
describeWithPrivateMariadb('faults: a handler that hangs', (server) => {
  let fault: FaultHost | undefined;
  afterEach(async function () {
    this.timeout(30_000);
    await fault?.close();
    fault = undefined;
  });

  it('fails the attempt at handlerTimeoutMs, puts the row back to pending with attempts + 1, and succeeds later', async function () {
    this.timeout(60_000);
    let hanging = true;
    fault = await startFaultHost(server(), {
      // Two connections only: a hung handler that kept its connection would starve everything.
      poolMax: 2,
      settings: {
        processing: { handlerTimeoutMs: HANDLER_TIMEOUT_MS, backoff: { initialMs: RETRY_DELAY_MS, factor: 1, maxMs: RETRY_DELAY_MS, jitter: 0 } },
      },
      before: async (event, { trx }) => {
        if (event.type !== 'hang' || !hanging) return;
        await trx.raw('SELECT 1'); // the transaction really holds its connection
        await new Promise(() => undefined); // never settles, ignores the signal
      },
    });
    const f = fault;
    const accepted = performance.now();
    expect((await f.send('stuck', 'hang')).status).to.equal(202);

    const pending = await waitFor(
      async () => {
        const row = await f.inspect('webhook_outbox').where({ event_id: 'stuck' }).first();
        return row?.status === 'pending' && Number(row.attempts) === 1 ? row : undefined;
      },
      10_000,
      'the row back to pending after one attempt',
    );
    const failedAfter = performance.now() - accepted;
    expect(pending.last_error).to.match(/timeout of 500 ms/);
    expect(failedAfter).to.be.within(HANDLER_TIMEOUT_MS, HANDLER_TIMEOUT_MS + RETRY_DELAY_MS);
    expect(await f.inspect(APPLIED_TABLE).where({ event_id: 'stuck' })).to.have.length(0);

    // Its connection was given back: with a pool of two, ingest and other events still work.
    const others = Array.from({ length: 10 }, (_, i) => `meanwhile-${i}`);
    expect((await Promise.all(others.map((id) => f.send(id)))).map((r) => r.status)).to.deep.equal(Array(10).fill(202));
    await f.waitApplied(others, 10_000);

    hanging = false;
    await f.waitApplied(['stuck'], 20_000);
    const done = await f.inspect('webhook_outbox').where({ event_id: 'stuck' }).first();
    expect(done).to.include({ status: 'done', last_error: null });
    expect(Number(done.attempts)).to.equal(2);
    expect(f.duplicates).to.deep.equal([]);
  });
});
