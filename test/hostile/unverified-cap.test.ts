import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';
import { garbageCollector, mib, settledHeapUsed } from './memory.js';

const SECRET = 'cap-secret-0123456789abcdef';
const MIB = 1024 * 1024;
const TOTAL_CAP = 8 * MIB;
const PARTNER_CAP = 4 * MIB;
const ATTACKERS = 48;
/** Each attacker declares 1 MiB and sends three quarters of it, then holds the connection open. */
const SENT_PER_ATTACKER = 768 * 1024;

interface Attacker {
  socket: Socket;
  /** The status line's code once an answer arrived, else undefined (the server holds its body). */
  status(): number | undefined;
  answer: string;
}

function attack(port: number, slug: string, chunked: boolean): Attacker {
  const socket = connect(port, '127.0.0.1');
  const attacker: Attacker = {
    socket,
    answer: '',
    status: () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(attacker.answer);
      return match ? Number(match[1]) : undefined;
    },
  };
  socket.on('data', (chunk: Buffer) => (attacker.answer += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const framing = chunked ? 'transfer-encoding: chunked' : `content-length: ${MIB}`;
  socket.write(`POST /plugins/webhooks/${slug} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-webhook-signature: sha256=${'0'.repeat(64)}\r\n${framing}\r\n\r\n`);
  const body = Buffer.alloc(SENT_PER_ATTACKER, 0x20);
  socket.write(chunked ? Buffer.concat([Buffer.from(`${SENT_PER_ATTACKER.toString(16)}\r\n`), body, Buffer.from('\r\n')]) : body);
  return attacker;
}

/**
 * Issue 9 item 3: unsigned bodies held before verification are capped across all connections
 * (receive.maxUnverifiedBytes) and per partner slug (receive.maxUnverifiedBytesPerPartner). Requests
 * past the cap get 503 with Retry-After before more is read; another partner is still served; the
 * budget comes back when the held requests end. The cap does not depend on the database: SQLite only.
 */
describe('hostile: many large unsigned bodies at once', () => {
  let database: TestDatabase;
  let host: TestHost;
  let port: number;
  const attackers: Attacker[] = [];

  before(async () => {
    database = await createTestDatabase('sqlite');
    host = await startTestHost(database.knex, {
      receive: { maxUnverifiedBytes: TOTAL_CAP, maxUnverifiedBytesPerPartner: PARTNER_CAP, bodyTimeoutMs: 60_000 },
    });
    await host.plugin.partners.add({ slug: 'victim', secret: SECRET });
    await host.plugin.partners.add({ slug: 'bystander', secret: SECRET });
    port = (host.server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const a of attackers) a.socket.destroy();
    await host?.close();
    await database?.destroy();
  });

  it('refuses bodies past the cap with 503 before reading them, keeps memory bounded and serves another partner', async function () {
    this.timeout(60_000);
    const gc = garbageCollector();
    const before = await settledHeapUsed(gc);
    const baseline = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < ATTACKERS; i += 1) attackers.push(attack(port, 'victim', i % 4 === 3));
    // Every attacker is either refused or has its bytes held; wait until the server has seen them all.
    await waitFor(
      () => (attackers.filter((a) => a.status() === 503).length >= ATTACKERS - PARTNER_CAP / SENT_PER_ATTACKER - 1 ? true : undefined),
      30_000,
      'the attackers past the cap to be refused',
    );
    const refused = attackers.filter((a) => a.status() === 503);
    const held = attackers.filter((a) => a.status() === undefined);
    const afterHeap = await settledHeapUsed(gc);
    const grown = afterHeap - before + (process.memoryUsage().arrayBuffers - baseline);
    console.log(`      ${refused.length} refused with 503, ${held.length} held, memory grew ${mib(grown)} (unbounded: ${mib(ATTACKERS * SENT_PER_ATTACKER)})`);
    expect(held.length).to.be.at.most(PARTNER_CAP / (SENT_PER_ATTACKER / 2));
    for (const a of refused) expect(a.answer).to.match(/\r\nretry-after: \d+\r\n/i);
    expect(grown).to.be.below(TOTAL_CAP + 8 * MIB);

    const bystander = await post(host.url('bystander'), signedPost('hmac-sha256', SECRET, { id: 'by-1', type: 't' }));
    expect(bystander.status).to.equal(202);

    // The held requests end (the attackers hang up): their share comes back.
    for (const a of attackers) a.socket.destroy();
    const victim = await waitFor(async () => {
      const answer = await post(host.url('victim'), signedPost('hmac-sha256', SECRET, { id: 'victim-1', type: 't' }));
      return answer.status === 202 ? answer : undefined;
    }, 10_000, 'the victim partner to be served again');
    expect(victim.body).to.deep.equal({ status: 'accepted', id: 'victim-1' });
  });
});
