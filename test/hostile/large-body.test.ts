import { expect } from 'chai';
import type { AddressInfo, Socket } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { garbageCollector, mib, settledHeapUsed } from './memory.js';
import { httpChunked, repeatedChunks, upload } from './upload.js';

const LIMIT = 1024 * 1024;
const HUNDRED_MB = 100 * 1024 * 1024;
/** What the server may read past the limit: the socket's read-ahead while the 413 is written. */
const READ_AHEAD = 512 * 1024;
/** Memory the server may use for one refused upload; buffering it would take 100 MiB. */
const MEMORY_BOUND = 16 * 1024 * 1024;

/**
 * A 100 MB body is refused with 413 as soon as the limit is known to be passed: at once when the
 * Content-Length says so, after the first 1 MiB when the body is chunked. The server reads no
 * further and closes the connection, so the sender cannot push the rest, and memory stays flat.
 * The body guard does not depend on the database, so this runs on SQLite only.
 */
describe('hostile: a 100 MB body', () => {
  let database: TestDatabase;
  let host: TestHost;
  let port: number;
  let lastSocket: Socket | undefined;
  const head = (framing: string, slug = 'big', contentType = 'application/json') =>
    [
      `POST /plugins/webhooks/${slug} HTTP/1.1`,
      'host: 127.0.0.1',
      `content-type: ${contentType}`,
      `x-webhook-signature: sha256=${'0'.repeat(64)}`,
      framing,
    ].join('\r\n');

  before(async () => {
    database = await createTestDatabase('sqlite');
    host = await startTestHost(database.knex);
    await host.plugin.partners.add({ slug: 'big', secret: 'big-secret-0123456789abcdef' });
    host.server.on('connection', (socket: Socket) => (lastSocket = socket));
    port = (host.server.address() as AddressInfo).port;
  });
  after(async () => {
    await host?.close();
    await database?.destroy();
  });

  async function measuredUpload(framing: string, chunks: () => Iterator<Buffer>, requestHead = head(framing)) {
    const gc = garbageCollector();
    const before = await settledHeapUsed(gc);
    const baseline = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed - baseline.heapUsed + (now.arrayBuffers - baseline.arrayBuffers));
    }, 2);
    try {
      const result = await upload({ port, head: requestHead, chunks });
      const after = await settledHeapUsed(gc);
      const serverRead = lastSocket?.bytesRead ?? Number.NaN;
      console.log(
        `      ${framing}: ${result.status} after ${result.answeredAfterMs.toFixed(0)} ms, closed after ${result.closedAfterMs.toFixed(0)} ms; ` +
          `client pushed ${mib(result.bytesSent)}, server read ${mib(serverRead)}; peak memory +${mib(peak)}, heap after GC ${mib(after - before)}`,
      );
      return { result, serverRead, peak, retained: after - before };
    } finally {
      clearInterval(sampler);
    }
  }

  it('answers 413 at once to a declared 100 MB body, reads no further and closes the connection', async function () {
    this.timeout(30_000);
    const { result, serverRead, peak } = await measuredUpload(`content-length: ${HUNDRED_MB}`, () => repeatedChunks(HUNDRED_MB));
    expect(result.status).to.equal(413);
    expect(JSON.parse(result.body)).to.include({ error: 'payload_too_large' });
    expect(result.headers.connection).to.equal('close');
    expect(result.answeredAfterMs).to.be.below(1000);
    expect(result.closedAfterMs, 'connection closed by the server').to.be.below(3000);
    expect(serverRead, 'bytes the server read').to.be.below(LIMIT);
    expect(result.bytesSent, 'bytes the client could push').to.be.below(HUNDRED_MB / 4);
    expect(peak).to.be.below(MEMORY_BOUND);
  });

  it('answers 413 to a chunked 100 MB body once 1 MiB has arrived, without buffering the rest', async function () {
    this.timeout(30_000);
    const { result, serverRead, peak } = await measuredUpload('transfer-encoding: chunked', () => httpChunked(HUNDRED_MB));
    expect(result.status).to.equal(413);
    expect(JSON.parse(result.body)).to.include({ error: 'payload_too_large' });
    expect(result.headers.connection).to.equal('close');
    expect(result.answeredAfterMs).to.be.below(1000);
    expect(result.closedAfterMs, 'connection closed by the server').to.be.below(3000);
    expect(serverRead, 'bytes the server read').to.be.below(LIMIT + READ_AHEAD);
    expect(result.bytesSent, 'bytes the client could push').to.be.below(HUNDRED_MB / 4);
    expect(peak).to.be.below(MEMORY_BOUND);
  });

  // Refused before the body is read: without closing, Node would read and discard all 100 MB (or
  // any amount, for as long as its requestTimeout allows) to keep the connection alive.
  for (const [label, slug, contentType, status] of [
    ['an unknown partner', 'nobody', 'application/json', 404],
    ['a content type not accepted', 'big', 'text/plain', 415],
  ] as const) {
    it(`closes the connection instead of draining a 100 MB body sent to ${label} (${status})`, async function () {
      this.timeout(30_000);
      const framing = `content-length: ${HUNDRED_MB}`;
      const { result, serverRead } = await measuredUpload(framing, () => repeatedChunks(HUNDRED_MB), head(framing, slug, contentType));
      expect(result.status).to.equal(status);
      expect(result.headers.connection).to.equal('close');
      expect(result.closedAfterMs, 'connection closed by the server').to.be.below(3000);
      expect(serverRead, 'bytes the server read').to.be.below(LIMIT);
    });
  }

  it('stores nothing for a refused upload', async () => {
    expect(await database.knex('webhook_outbox').count({ n: '*' }).then((r) => Number(r[0]!.n))).to.equal(0);
  });
});
