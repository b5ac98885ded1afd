import { expect } from 'chai';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { upload } from './upload.js';

/** Short, so the test is quick; the default is 10 s. */
const BODY_TIMEOUT_MS = 400;
/** How late the 408 may come: timer granularity and a loaded CI machine. */
const SLACK_MS = 600;

function* trickle(bytes: number): Generator<Buffer> {
  for (let i = 0; i < bytes; i += 1) yield Buffer.from(i === 0 ? '{' : ' ');
}

function* nothing(): Generator<Buffer> {
  // Headers only: the body never starts.
}

/**
 * A client that sends its body byte by byte (or never) holds a connection and a buffer: the whole
 * body must arrive within receive.bodyTimeoutMs, or the answer is 408 and the connection is
 * closed, even while the client keeps trickling. (Slow headers are Node's to cut off:
 * server.headersTimeout, 60 s by default, is the host's setting.)
 */
describe('hostile: a slow body', () => {
  let database: TestDatabase;
  let host: TestHost;
  let port: number;
  const head = (framing: string) =>
    ['POST /plugins/webhooks/slow HTTP/1.1', 'host: 127.0.0.1', 'content-type: application/json', `x-webhook-signature: sha256=${'0'.repeat(64)}`, framing].join('\r\n');

  before(async () => {
    database = await createTestDatabase('sqlite');
    host = await startTestHost(database.knex, { receive: { bodyTimeoutMs: BODY_TIMEOUT_MS } });
    await host.plugin.partners.add({ slug: 'slow', secret: 'slow-secret-0123456789abcdef' });
    port = (host.server.address() as AddressInfo).port;
  });
  after(async () => {
    await host?.close();
    await database?.destroy();
  });

  const cases: Array<[string, string, () => Iterator<Buffer>, number]> = [
    ['a body trickled a byte every 50 ms', 'content-length: 1000', () => trickle(1000), 50],
    ['a chunked body trickled a byte every 50 ms', 'transfer-encoding: chunked', () => chunkedTrickle(1000), 50],
    ['a declared body that never starts', 'content-length: 100', nothing, 0],
  ];
  for (const [label, framing, chunks, intervalMs] of cases) {
    it(`answers 408 to ${label} within bodyTimeoutMs and closes the connection`, async function () {
      this.timeout(10_000);
      const result = await upload({ port, head: head(framing), chunks, intervalMs, timeoutMs: 5000 });
      console.log(`      ${label}: ${result.status} after ${result.answeredAfterMs.toFixed(0)} ms, closed after ${result.closedAfterMs.toFixed(0)} ms`);
      expect(result.status).to.equal(408);
      expect(JSON.parse(result.body)).to.deep.equal({ error: 'request_timeout', message: `the body was not received within ${BODY_TIMEOUT_MS} ms` });
      expect(result.headers.connection).to.equal('close');
      expect(result.answeredAfterMs).to.be.within(BODY_TIMEOUT_MS - 50, BODY_TIMEOUT_MS + SLACK_MS);
      // Closed by the server although the client would have kept trickling for 50 s.
      expect(result.closedAfterMs).to.be.below(BODY_TIMEOUT_MS + SLACK_MS + 1000);
    });
  }

  it('shrugs off clients that hang up in the middle of their body: nothing stored, still serving', async function () {
    this.timeout(10_000);
    // Node reports a body cut short as a client error and destroys the socket with it; Koa then
    // passes that error to the host app's 'error' event, whose default prints a stack to stderr
    // (the host's logging, not the plugin's). Hosts handle clientError themselves; so does this one.
    const quietly = (_error: Error, socket: Duplex) => socket.destroy();
    host.server.on('clientError', quietly);
    try {
      const hangups = Array.from({ length: 30 }, (_, i) =>
        new Promise<void>((resolve) => {
          const socket = connect({ port, host: '127.0.0.1' }, () => {
            socket.write(`${head('content-length: 1000')}\r\n\r\n{"id":"gone-${i}",`);
            setTimeout(() => socket.destroy(), 20 + i);
          });
          socket.on('error', () => undefined);
          socket.on('close', () => resolve());
        }),
      );
      await Promise.all(hangups);
    } finally {
      host.server.off('clientError', quietly);
    }
    const quick = await fetch(host.url('slow'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(quick.status).to.equal(401);
    expect(await database.knex('webhook_outbox').count({ n: '*' }).then((r) => Number(r[0]!.n))).to.equal(0);
  });

  it('keeps serving well-behaved clients while slow ones wait out their timeout', async function () {
    this.timeout(10_000);
    const slow = Array.from({ length: 20 }, () => upload({ port, head: head('content-length: 1000'), chunks: () => trickle(1000), intervalMs: 50 }));
    const started = performance.now();
    const quick = await fetch(`${host.url('slow')}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(quick.status).to.equal(401);
    expect(performance.now() - started).to.be.below(BODY_TIMEOUT_MS);
    expect((await Promise.all(slow)).map((r) => r.status)).to.deep.equal(Array(20).fill(408));
  });
});

function* chunkedTrickle(bytes: number): Generator<Buffer> {
  for (const byte of trickle(bytes)) yield Buffer.concat([Buffer.from('1\r\n'), byte, Buffer.from('\r\n')]);
}
