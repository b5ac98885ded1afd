import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost } from '../helpers/requests.js';
import { manualClock } from './manual-clock.js';

const SECRET = 'rate-secret-0123456789abcdef';
/** More than twice the directory's cache window: a settings change is seen after this. */
const SETTINGS_REACH_MS = 1000;

/**
 * Per-partner token buckets (partner setting rateLimit: {perSecond, burst}; off by default), in
 * this process's memory. Time is a manual clock, so refills are exact and nothing sleeps.
 */
describe('hostile: per-partner rate limiting through a real server', () => {
  let database: TestDatabase;
  let host: TestHost;
  const clock = manualClock();
  let seq = 0;
  const send = (slug: string, overrides: { contentType?: string; unsigned?: boolean } = {}) => {
    const request = signedPost('hmac-sha256', SECRET, { id: `rl-${(seq += 1)}`, type: 't' });
    if (overrides.contentType) request.headers['content-type'] = overrides.contentType;
    if (overrides.unsigned) delete request.headers['x-webhook-signature'];
    return post(host.url(slug), request);
  };
  const limit = async (slug: string, rateLimit: { perSecond: number; burst: number } | null) => {
    await host.plugin.partners.updateSettings(slug, { rateLimit });
    clock.advance(SETTINGS_REACH_MS);
  };

  before(async () => {
    database = await createTestDatabase('sqlite');
    host = await startTestHost(database.knex, { clock });
    for (const slug of ['rl-a', 'rl-b', 'rl-off']) await host.plugin.partners.add({ slug, secret: SECRET });
    await host.plugin.partners.setEnabled('rl-off', false);
  });
  after(async () => {
    await host?.close();
    await database?.destroy();
  });

  it('accepts any number of requests while no limit is set (the default)', async () => {
    const statuses = await Promise.all(Array.from({ length: 40 }, () => send('rl-b').then((r) => r.status)));
    expect(statuses).to.deep.equal(Array(40).fill(202));
  });

  it('answers 429 with Retry-After once the burst is spent, stores nothing for it, and accepts again after a refill', async () => {
    await limit('rl-a', { perSecond: 2, burst: 3 });
    expect([(await send('rl-a')).status, (await send('rl-a')).status, (await send('rl-a')).status]).to.deep.equal([202, 202, 202]);
    const before = await database.knex('webhook_outbox').count({ n: '*' });
    const refused = await send('rl-a');
    expect(refused.status).to.equal(429);
    expect(refused.body).to.deep.equal({ error: 'rate_limited', message: 'too many requests for this partner' });
    expect(refused.headers.get('retry-after')).to.equal('1');
    expect(await database.knex('webhook_outbox').count({ n: '*' })).to.deep.equal(before);
    clock.advance(500); // one token at 2 per second
    expect((await send('rl-a')).status).to.equal(202);
    expect((await send('rl-a')).status).to.equal(429);
  });

  it('says in Retry-After how many seconds until a token is free', async () => {
    await limit('rl-a', { perSecond: 0.2, burst: 1 });
    clock.advance(10_000);
    expect((await send('rl-a')).status).to.equal(202);
    const refused = await send('rl-a');
    expect(refused.status).to.equal(429);
    expect(refused.headers.get('retry-after')).to.equal('5');
    clock.advance(4000);
    expect((await send('rl-a')).headers.get('retry-after')).to.equal('1');
  });

  it('sends a finite Retry-After (at most a day) even for a limit of one request in centuries', async () => {
    for (const [slug, perSecond] of [['rl-slow', 1e-9], ['rl-slower', 1e-300]] as const) {
      await host.plugin.partners.add({ slug, secret: SECRET, settings: { rateLimit: { perSecond, burst: 1 } } });
      clock.advance(SETTINGS_REACH_MS);
      expect((await send(slug)).status).to.equal(202);
      const refused = await send(slug);
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('retry-after'), String(perSecond)).to.equal('86400');
    }
  });

  it('lets exactly the burst through when requests arrive all at once', async () => {
    await limit('rl-a', { perSecond: 1, burst: 5 });
    clock.advance(60_000);
    const statuses = (await Promise.all(Array.from({ length: 25 }, () => send('rl-a').then((r) => r.status)))).sort();
    expect(statuses).to.deep.equal([...Array(5).fill(202), ...Array(20).fill(429)]);
  });

  it('limits each partner on its own', async () => {
    await limit('rl-a', { perSecond: 1, burst: 1 });
    clock.advance(60_000);
    await send('rl-a');
    expect((await send('rl-a')).status).to.equal(429);
    expect((await send('rl-b')).status).to.equal(202);
  });

  it('answers 429 before judging content type or signature, and 404 and 403 before 429', async () => {
    await limit('rl-a', { perSecond: 1, burst: 1 });
    await limit('rl-off', { perSecond: 1, burst: 1 });
    clock.advance(60_000);
    await send('rl-a');
    expect((await send('rl-a', { contentType: 'text/plain' })).status).to.equal(429);
    expect((await send('rl-a', { unsigned: true })).status).to.equal(429);
    expect((await send('rl-unknown')).status).to.equal(404);
    const disabled = await Promise.all([send('rl-off'), send('rl-off'), send('rl-off')]);
    expect(disabled.map((r) => r.status)).to.deep.equal([403, 403, 403]);
  });

  it('stops limiting when the setting is removed', async () => {
    await limit('rl-a', { perSecond: 1, burst: 1 });
    clock.advance(60_000);
    await send('rl-a');
    expect((await send('rl-a')).status).to.equal(429);
    await limit('rl-a', null);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => send('rl-a').then((r) => r.status)));
    expect(statuses).to.deep.equal(Array(10).fill(202));
  });
});
