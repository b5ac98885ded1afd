import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { signedPost } from '../helpers/requests.js';
import { manualClock } from './manual-clock.js';

const SECRET = 'ip-secret-0123456789abcdefgh';
const SETTINGS_REACH_MS = 1000;

/**
 * Per-partner allowlists (partner setting allowIps: CIDRs) answer 403 ip_not_allowed. The client's
 * address is the socket peer; X-Forwarded-For is believed only when that peer is one of
 * receive.trustedProxies, and then read from the right, so entries a client wrote itself (left of
 * the last untrusted hop) never decide. The test server listens on 127.0.0.1: one host trusts it
 * as a proxy, the other does not.
 */
describe('hostile: partner IP allowlists through a real server', () => {
  let database: TestDatabase;
  let direct: TestHost;
  let proxied: TestHost;
  const clock = manualClock();
  let seq = 0;
  const send = (host: TestHost, slug: string, forwardedFor?: string | string[]) => {
    const request = signedPost('hmac-sha256', SECRET, { id: `ip-${(seq += 1)}`, type: 't' });
    const headers = new Headers(request.headers);
    for (const value of [forwardedFor ?? []].flat()) headers.append('x-forwarded-for', value);
    return fetch(host.url(slug), { method: 'POST', headers, body: request.body }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  };
  const allow = async (slug: string, allowIps: string[] | null, extra: Record<string, unknown> = {}) => {
    await direct.plugin.partners.updateSettings(slug, { allowIps, ...extra });
    clock.advance(SETTINGS_REACH_MS);
  };

  before(async () => {
    database = await createTestDatabase('sqlite');
    direct = await startTestHost(database.knex, { clock });
    proxied = await startTestHost(database.knex, { clock, receive: { trustedProxies: ['127.0.0.1/32', '10.9.0.0/16'] } });
    for (const slug of ['ip-a', 'ip-off']) await direct.plugin.partners.add({ slug, secret: SECRET });
    await direct.plugin.partners.setEnabled('ip-off', false);
  });
  after(async () => {
    await direct?.close();
    await proxied?.close();
    await database?.destroy();
  });

  it('answers 403 ip_not_allowed to an address outside the list and stores nothing', async () => {
    await allow('ip-a', ['10.0.0.0/8', '2001:db8::/32']);
    const refused = await send(direct, 'ip-a');
    expect(refused).to.deep.equal({ status: 403, body: { error: 'ip_not_allowed', message: 'requests from this address are not allowed for this partner' } });
    expect(await database.knex('webhook_outbox').where({ partner: 'ip-a' })).to.have.length(0);
  });

  it('accepts an address inside the list, as a single address or a CIDR', async () => {
    for (const list of [['127.0.0.1'], ['127.0.0.0/8'], ['192.0.2.1', '127.0.0.1/32']]) {
      await allow('ip-a', list);
      expect((await send(direct, 'ip-a')).status, list.join(',')).to.equal(202);
    }
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    await allow('ip-a', ['10.0.0.0/8']);
    expect((await send(direct, 'ip-a', '10.1.2.3')).status).to.equal(403);
  });

  it('believes X-Forwarded-For from a trusted proxy, read from the right', async () => {
    await allow('ip-a', ['10.1.0.0/16']);
    const cases: Array<[string | string[] | undefined, number]> = [
      ['10.1.2.3', 202],
      ['203.0.113.9, 10.1.2.3', 202], // the proxy appended the real client; the left part is the client's own claim
      ['10.1.2.3, 203.0.113.9', 403], // a client claiming to be 10.1.2.3 behind its own address
      ['10.1.2.3, 10.9.0.5', 202], // two trusted proxies in a row are skipped
      [['203.0.113.9', '10.1.2.3'], 202], // repeated header lines count as one list
      [undefined, 403], // no header: the proxy itself (127.0.0.1) is the client
      ['not-an-address', 403],
      ['10.1.2.3:443', 403],
      ['', 403],
    ];
    for (const [forwarded, status] of cases) expect((await send(proxied, 'ip-a', forwarded)).status, JSON.stringify(forwarded)).to.equal(status);
  });

  it('refuses an address outside the list given in any form an admin can save', async () => {
    for (const list of [['10.0.0.0/8'], ['::1'], ['2001:db8::/32', '192.0.2.0/24']]) {
      await allow('ip-a', list);
      expect((await send(direct, 'ip-a')).status, list.join(',')).to.equal(403);
    }
  });

  it('admits nobody, rather than everybody, when the stored list was edited into something unreadable', async () => {
    // The admin API refuses such a list; a hand edit of the row (or another version of the CLI) does not.
    await database.knex('webhook_partners').where({ slug: 'ip-a' }).update({ settings: JSON.stringify({ allowIps: ['not-a-cidr', '127.0.0.1'] }) });
    clock.advance(SETTINGS_REACH_MS);
    const refused = await send(direct, 'ip-a');
    await database.knex('webhook_partners').where({ slug: 'ip-a' }).update({ settings: '{}' });
    clock.advance(SETTINGS_REACH_MS);
    expect(refused.status, JSON.stringify(refused.body)).to.be.oneOf([403, 503]);
  });

  it('answers 404 and 403 partner_disabled before looking at the address, and 403 before 429', async () => {
    // One token per 1,000 s: the clock moves a few seconds here, so no refill can hide a spent token.
    const rateLimit = { perSecond: 0.001, burst: 1 };
    await allow('ip-a', ['10.0.0.0/8'], { rateLimit });
    await direct.plugin.partners.updateSettings('ip-off', { allowIps: ['10.0.0.0/8'] });
    clock.advance(SETTINGS_REACH_MS);
    expect((await send(direct, 'ip-unknown')).status).to.equal(404);
    expect((await send(direct, 'ip-off')).body.error).to.equal('partner_disabled');
    const refused = await Promise.all([1, 2, 3].map(() => send(direct, 'ip-a')));
    expect(refused.map((r) => r.status)).to.deep.equal([403, 403, 403]);
    // Refused addresses spent no tokens: once allowed, the burst of 1 is still there.
    await allow('ip-a', ['127.0.0.1'], { rateLimit });
    expect((await send(direct, 'ip-a')).status).to.equal(202);
    expect((await send(direct, 'ip-a')).status).to.equal(429);
    await allow('ip-a', null, { rateLimit: null });
  });
});
