import { expect } from 'chai';
import knexFactory from 'knex';
import { createWebhooksPlugin } from '../plugin/index.js';
import { recordingLogger } from './helpers/logger.js';

describe('plugin options', () => {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  after(() => knex.destroy());
  const create = (options: Record<string, unknown>) => () => createWebhooksPlugin({ knex, logger: recordingLogger(), ...options } as never);

  it('returns the documented interface with defaults', () => {
    const plugin = createWebhooksPlugin({ knex, logger: recordingLogger(), env: {} });
    for (const member of ['migrate', 'on', 'start', 'stop']) expect(plugin).to.have.property(member).that.is.a('function');
    expect(plugin.app).to.have.property('callback').that.is.a('function');
  });

  it('names the bad option in the error', () => {
    expect(create({ processing: { concurrency: 0 } })).to.throw(/invalid option processing\.concurrency/);
    expect(create({ receive: { bodyLimitBytes: 'big' } })).to.throw(/invalid option receive\.bodyLimitBytes/);
    expect(create({ procesing: {} })).to.throw(/unrecognized key.*procesing/i);
    expect(create({ knex: undefined })).to.throw(/invalid option knex/);
    expect(create({ authorize: 'yes' })).to.throw(/invalid option authorize/);
  });

  it('refuses a lease shorter than the handler timeout, which would let two processes run one event', () => {
    expect(create({ processing: { leaseMs: 5000, handlerTimeoutMs: 10_000 } })).to.throw(/processing\.leaseMs/);
  });

  it('refuses a malformed secret key instead of storing secrets unencrypted', () => {
    expect(create({ secretKey: 'not-a-key' })).to.throw(/option secretKey must be a 32-byte key/);
    expect(create({ env: { WEBHOOKS_SECRET_KEY: 'abc' } })).to.throw(/WEBHOOKS_SECRET_KEY must be a 32-byte key/);
  });

  it('refuses a knex client it cannot speak to', () => {
    const pg = knexFactory({ client: 'pg' });
    expect(() => createWebhooksPlugin({ knex: pg, logger: recordingLogger() })).to.throw(/unsupported knex client "pg"/);
    void pg.destroy();
  });
});
