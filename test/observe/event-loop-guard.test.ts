import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';
import { parseResponse } from '../hostile/raw-http.js';

const SECRET = 'loop-guard-secret-0123456789abcdef';
/** Far longer than the guard's 100 ms window and the threshold, so the block is seen whatever the phase it starts in. */
const BLOCK_MS = 600;
const MAX_DELAY_MS = 150;

/** Holds the thread, as a CRM report or a partner's storm would. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: no timer, no I/O callback can run meanwhile
  }
}

/**
 * Normal service: once the guard no longer sheds, the event is accepted. A loaded CI machine may
 * stall this process on its own now and then, so a host_busy answer is waited out, never accepted.
 */
async function postWhenIdle(host: TestHost, id: string): Promise<number> {
  return waitFor(
    async () => {
      if ((await host.plugin.health()).eventLoop?.shedding !== false) return undefined;
      const answer = await post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 'contact.updated' }));
      return answer.status === 503 && answer.body.error === 'host_busy' ? undefined : answer.status;
    },
    15_000,
    'normal service',
  );
}

/** Reads a response until the server closes the connection. */
async function readUntilClosed(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  return Buffer.concat(chunks);
}

/**
 * The plugin shares the CRM's event loop: when that loop falls behind, new webhooks are refused
 * with 503 + Retry-After before their body is read, so partners retry later and the CRM's own
 * requests are not queued behind theirs; once the loop keeps up, service is normal again.
 */
describeEachDatabase('event-loop guard', (db) => {
  let host: TestHost;
  let port: number;

  before(async () => {
    host = await startTestHost(db().knex, { receive: { maxEventLoopDelayMs: MAX_DELAY_MS, retryAfterSeconds: 7 } });
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    port = (host.server.address() as AddressInfo).port;
  });
  after(async () => host?.close());

  it('answers 503 with Retry-After without reading the body while the loop is blocked, then serves normally again', async function () {
    this.timeout(20_000);
    expect(await postWhenIdle(host, 'evt_before')).to.equal(202);

    // Headers and the first bytes of a body that is never finished: only an answer given without
    // reading the body can arrive.
    const event = signedPost('hmac-sha256', SECRET, { id: 'evt_during', type: 'contact.updated' });
    const socket = connect({ port, host: '127.0.0.1' });
    await once(socket, 'connect');
    const head = ['POST /plugins/webhooks/acme HTTP/1.1', 'host: 127.0.0.1', `content-length: ${event.body.length}`, ...Object.entries(event.headers).map(([k, v]) => `${k}: ${v}`)];
    const response = readUntilClosed(socket);
    await new Promise<void>((resolve) => socket.write(`${head.join('\r\n')}\r\n\r\n${event.body.slice(0, 5)}`, () => resolve()));
    // The request is in the server's socket buffer; the loop is held before Node can read it.
    await new Promise<void>((resolve) => setImmediate(() => resolve(blockEventLoop(BLOCK_MS))));

    const answer = parseResponse(await response);
    expect(answer.status).to.equal(503);
    expect(answer.headers['retry-after']).to.equal('7');
    expect(answer.headers.connection).to.equal('close');
    expect(JSON.parse(answer.body)).to.deep.equal({ error: 'host_busy', message: 'the host is busy; retry later' });
    const during = await db().knex('webhook_dedupe').where({ partner: 'acme', event_id: 'evt_during' }).count({ n: '*' });
    expect(Number(during[0]?.n)).to.equal(0);

    // The delay is reported while it lasts, and gone once the loop keeps up again.
    expect(await postWhenIdle(host, 'evt_during')).to.equal(202);
    const metrics = await host.plugin.metrics.metrics();
    expect(metrics).to.match(/crm_webhooks_requests_total\{partner="acme",outcome="host_busy"\} \d/);
    expect(metrics).to.match(/crm_webhooks_event_loop_delay_seconds \d/);
  });

  it('reports the delay and the threshold in /_health', async () => {
    const response = await fetch(`${host.baseUrl}/_health`);
    const body = (await response.json()) as { eventLoop?: { delayMs: number; maxDelayMs: number | null; shedding: boolean } };
    expect(body.eventLoop?.maxDelayMs).to.equal(MAX_DELAY_MS);
    expect(body.eventLoop?.delayMs).to.be.a('number');
  });
});

describeEachDatabase('event-loop guard switched off', (db) => {
  let host: TestHost;
  before(async () => {
    host = await startTestHost(db().knex, { receive: { maxEventLoopDelayMs: 0 } });
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
  });
  after(async () => host?.close());

  it('accepts webhooks after the loop was blocked (maxEventLoopDelayMs: 0)', async function () {
    this.timeout(20_000);
    await post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id: 'evt_warm', type: 'contact.updated' }));
    const sent = post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id: 'evt_off', type: 'contact.updated' }));
    await new Promise<void>((resolve) => setImmediate(() => resolve(blockEventLoop(BLOCK_MS))));
    expect((await sent).status).to.equal(202);
    expect((await host.plugin.health()).eventLoop?.maxDelayMs).to.equal(null);
  });
});
