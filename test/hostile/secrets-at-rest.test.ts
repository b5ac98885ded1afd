import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost } from '../helpers/requests.js';

const SECRET = 'sealed-secret-0123456789abcdef';
const KEY = randomBytes(32).toString('hex');
const OTHER_KEY = randomBytes(32).toString('base64');

/**
 * Partner secrets encrypted at rest (AES-256-GCM, WEBHOOKS_SECRET_KEY) that this process cannot
 * open, because the key is missing or wrong: the host still starts, the partner is marked in the
 * directory (one error log naming it), and its requests get 503 secrets_unavailable with
 * Retry-After, never a crash, a 500, or a misleading 401 that would make the partner give up.
 */
describe('hostile: stored secrets without the right key', () => {
  let database: TestDatabase;
  const hosts: TestHost[] = [];
  const send = (host: TestHost, slug: string, options: { secret?: string; contentType?: string } = {}) => {
    const request = signedPost('hmac-sha256', options.secret ?? SECRET, { id: `sk-${randomBytes(4).toString('hex')}`, type: 't' });
    if (options.contentType) request.headers['content-type'] = options.contentType;
    return post(host.url(slug), request);
  };
  const hostWith = async (env: Record<string, string>) => {
    const host = await startTestHost(database.knex, { env });
    hosts.push(host);
    await host.plugin.start(); // must not throw: an unreadable partner is not a reason to stop the CRM
    return host;
  };

  before(async () => {
    database = await createTestDatabase('sqlite');
    const keyed = await hostWith({ WEBHOOKS_SECRET_KEY: KEY });
    await keyed.plugin.partners.add({ slug: 'sealed', secret: SECRET });
    await keyed.plugin.partners.add({ slug: 'sealed-off', secret: SECRET });
    await keyed.plugin.partners.setEnabled('sealed-off', false);
    const keyless = await hostWith({});
    await keyless.plugin.partners.add({ slug: 'plain', secret: SECRET });
    const [row] = await database.knex('webhook_partners').where({ slug: 'sealed' }).select('secrets');
    expect(row.secrets).not.to.include(SECRET);
    expect(row.secrets).to.match(/"enc":"v1\./);
  });
  after(async () => {
    for (const host of hosts) await host.close();
    await database?.destroy();
  });

  for (const [label, env, logged] of [
    ['no key is configured', {}, /encrypted secrets but no key is configured/],
    ['the key is another one', { WEBHOOKS_SECRET_KEY: OTHER_KEY }, /was encrypted with key [0-9a-f]{8}, but the configured key is [0-9a-f]{8}/],
  ] as const) {
    it(`answers 503 secrets_unavailable with Retry-After when ${label}, and logs the partner once`, async () => {
      const host = await hostWith(env);
      const responses = [await send(host, 'sealed'), await send(host, 'sealed', { secret: 'wrong-secret-0123456789abcdef' })];
      for (const response of responses) {
        expect(response.status).to.equal(503);
        expect(response.body).to.deep.equal({ error: 'secrets_unavailable', message: 'this partner cannot be verified right now; retry later' });
        expect(Number(response.headers.get('retry-after'))).to.be.above(0);
      }
      // Once from the directory, however many requests come (each refusal has its own request line).
      const lines = host.logger.lines.filter((l) => l.level === 'error' && logged.test(l.msg));
      expect(lines.map((l) => l.fields.partner), 'directory errors by partner').to.deep.equal(['sealed', 'sealed-off']);
      const everything = JSON.stringify(host.logger.lines);
      expect(everything).not.to.include(SECRET);
      expect(everything).not.to.include(KEY);
      expect(await database.knex('webhook_outbox').where({ partner: 'sealed' })).to.have.length(0);
    });
  }

  it('still answers the earlier statuses first: 404, 403 and 415 before 503', async () => {
    const host = await hostWith({});
    expect((await send(host, 'sealed-unknown')).status).to.equal(404);
    expect((await send(host, 'sealed-off')).status).to.equal(403);
    expect((await send(host, 'sealed', { contentType: 'text/plain' })).status).to.equal(415);
  });

  it('keeps serving partners whose secrets it can read', async () => {
    const host = await hostWith({ WEBHOOKS_SECRET_KEY: OTHER_KEY });
    expect((await send(host, 'plain')).status).to.equal(202);
    expect((await send(host, 'sealed')).status).to.equal(503);
  });

  it('answers 503, not 500, when a stored secret was altered', async () => {
    const [row] = await database.knex('webhook_partners').where({ slug: 'sealed' }).select('secrets');
    const stored = JSON.parse(row.secrets) as Array<{ enc: string }>;
    // A different authentication tag: what a flipped bit on disk or a hand edit looks like to GCM.
    const altered = stored.map((s) => ({ ...s, enc: s.enc.replace(/\.[^.]+$/, `.${Buffer.alloc(16).toString('base64url')}`) }));
    await database.knex('webhook_partners').where({ slug: 'sealed' }).update({ secrets: JSON.stringify(altered) });
    const host = await hostWith({ WEBHOOKS_SECRET_KEY: KEY });
    expect((await send(host, 'sealed')).status).to.equal(503);
    await database.knex('webhook_partners').where({ slug: 'sealed' }).update({ secrets: row.secrets });
  });

  it('accepts the partner again once the right key is configured', async () => {
    const host = await hostWith({ WEBHOOKS_SECRET_KEY: KEY });
    expect((await send(host, 'sealed')).status).to.equal(202);
  });

  it('refuses to create the plugin with a key that is not 32 bytes, naming the variable but not the value', () => {
    const bad = 'not-a-real-key-but-secret-looking-0123';
    expect(() => createWebhooksPlugin({ knex: database.knex, env: { WEBHOOKS_SECRET_KEY: bad } }))
      .to.throw(/WEBHOOKS_SECRET_KEY must be a 32-byte key/)
      .with.property('message')
      .that.does.not.include(bad);
  });
});
