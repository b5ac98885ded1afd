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

  it('refuses a claim shorter than the handler timeout, which would let two processes run one event', () => {
    expect(create({ processing: { claimMs: 5000, handlerTimeoutMs: 10_000 } })).to.throw(/processing\.claimMs/);
  });

  it('still takes the settings renamed this release, with one deprecation warning each', () => {
    const logger = recordingLogger();
    const old = { processing: { leaseMs: 5000, handlerTimeoutMs: 10_000 }, ingest: { maxQueued: 10 } };
    // The old name reaches the same check as the new one: proof that its value was used, not dropped.
    expect(() => createWebhooksPlugin({ knex, logger, ...old } as never)).to.throw(/processing\.claimMs/);
    createWebhooksPlugin({ knex, logger, env: {}, processing: { queueLimit: 7 }, ingest: { maxQueuedBytes: 1024 } } as never);
    const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings).to.include('crm-webhooks: option processing.queueLimit is deprecated: use processing.memoryQueueLimit');
    expect(warnings).to.include('crm-webhooks: option ingest.maxQueuedBytes is deprecated: use ingest.maxWaitingBytes');
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
