import { expect } from 'chai';
import { APPLIED_TABLE, startFaultHost, type FaultHost } from './fault-host.js';
import { describeWithPrivateMariadb } from '../helpers/private-mariadb.js';

interface Held {
  /** CONNECTION_ID() as the handler's own transaction reports it. */
  connectionId: number;
  release(): void;
}

/**
 * `KILL <id>` on the connection of a handler's open transaction, found from outside the way a DBA
 * (or a crashed proxy) would: the transaction that holds row changes in
 * information_schema.innodb_trx, joined to the process list of the plugin's database. The
 * handler's write is rolled back with the connection; the event is retried and applied once.
 */
describeWithPrivateMariadb('faults: a connection killed mid-transaction', (server) => {
  let fault: FaultHost | undefined;
  afterEach(async function () {
    this.timeout(30_000);
    await fault?.close();
    fault = undefined;
  });

  async function holdFirstAttempt(): Promise<{ fault: FaultHost; held: Promise<Held> }> {
    let resolveHeld!: (held: Held) => void;
    const held = new Promise<Held>((resolve) => (resolveHeld = resolve));
    const f = await startFaultHost(server(), {
      // After the handler's own write, so the kill has uncommitted work to throw away.
      after: async (event, { trx }) => {
        if (event.type !== 'kill-me' || event.attempt !== 1) return;
        const [rows] = (await trx.raw('SELECT CONNECTION_ID() AS id')) as [Array<{ id: number }>];
        await new Promise<void>((release) => resolveHeld({ connectionId: Number(rows[0]!.id), release }));
      },
    });
    return { fault: f, held };
  }

  it('retries the event after KILL and applies it exactly once', async function () {
    this.timeout(60_000);
    const setup = await holdFirstAttempt();
    fault = setup.fault;
    const f = fault;
    expect((await f.send('victim', 'kill-me')).status).to.equal(202);
    const held = await setup.held;

    const [[{ name }]] = (await f.inspect.raw('SELECT DATABASE() AS name')) as [[{ name: string }]];
    const found = await server().query<{ id: number }>(
      `SELECT t.trx_mysql_thread_id AS id
         FROM information_schema.innodb_trx t
         JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
        WHERE p.db = ? AND t.trx_rows_modified > 0`,
      [name],
    );
    expect(found.map((r) => Number(r.id)), 'transactions with uncommitted writes').to.deep.equal([held.connectionId]);
    await server().query(`KILL ${Number(found[0]!.id)}`);
    held.release();

    await f.waitApplied(['victim'], 30_000);
    const [row] = await f.inspect('webhook_outbox').where({ event_id: 'victim' });
    expect(row).to.include({ status: 'done' });
    expect(Number(row.attempts)).to.equal(2);
    expect(await f.inspect(APPLIED_TABLE).where({ event_id: 'victim' })).to.deep.equal([{ event_id: 'victim', attempt: 2 }]);
    expect(f.duplicates).to.deep.equal([]);
  });

  it('keeps accepting and processing events on the rest of the pool after the kill', async function () {
    this.timeout(60_000);
    const setup = await holdFirstAttempt();
    fault = setup.fault;
    const f = fault;
    expect((await f.send('victim-2', 'kill-me')).status).to.equal(202);
    const held = await setup.held;
    await server().query(`KILL ${held.connectionId}`);
    const others = Array.from({ length: 20 }, (_, i) => `bystander-${i}`);
    const responses = await Promise.all(others.map((id) => f.send(id)));
    expect(responses.map((r) => r.status)).to.deep.equal(Array(20).fill(202));
    held.release();
    await f.waitApplied([...others, 'victim-2'], 30_000);
    expect(await f.missingRows(others)).to.deep.equal([]);
    expect(f.duplicates).to.deep.equal([]);
  });
});
