import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import knexFactory from 'knex';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { poolWarning } from '../../plugin/host/pool-check.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logger.js';

describeEachDatabase('a host whose key does not match the stored secrets', (db) => {
  const key = randomBytes(32).toString('hex');
  afterEach(async () => {
    await db().knex('webhook_partners').delete();
  });

  it('reports partners whose secrets it cannot open in /_health (degraded) and at start', async () => {
    const sealing = createWebhooksPlugin({ knex: db().knex, logger: recordingLogger(), secretKey: key });
    await sealing.migrate();
    await sealing.partners.add({ slug: 'sealed' });
    await sealing.partners.add({ slug: 'fine', secret: 'x'.repeat(32) }).then(() => db().knex('webhook_partners').where({ slug: 'fine' }).update({ secrets: JSON.stringify([{ addedAt: new Date().toISOString(), plain: 'x'.repeat(32) }]) }));

    const logger = recordingLogger();
    const keyless = createWebhooksPlugin({ knex: db().knex, logger, env: {} });
    await keyless.start();
    try {
      const report = await keyless.health();
      expect(report.status).to.equal('degraded');
      expect(report.partnersWithUnreadableSecrets).to.deep.equal(['sealed']);
      const line = logger.lines.find((l) => l.msg.includes('cannot be opened with this process'));
      expect(line?.fields.partners).to.deep.equal(['sealed']);
    } finally {
      await keyless.stop();
    }
  });

  it('warns at start about secrets stored unencrypted while it has a key', async () => {
    const keyless = createWebhooksPlugin({ knex: db().knex, logger: recordingLogger(), env: {} });
    await keyless.migrate();
    await keyless.partners.add({ slug: 'plain' });
    const logger = recordingLogger();
    const keyed = createWebhooksPlugin({ knex: db().knex, logger, secretKey: key });
    await keyed.start();
    try {
      const line = logger.lines.find((l) => l.msg.includes('stored unencrypted although WEBHOOKS_SECRET_KEY is set'));
      expect(line?.level).to.equal('warn');
      expect(line?.fields.partners).to.deep.equal(['plain']);
      const report = await keyed.health();
      expect(report.partnersWithUnreadableSecrets).to.deep.equal([]);
      expect(report.status).to.equal('ok');
    } finally {
      await keyed.stop();
    }
  });
});

describe('pool size check at start()', () => {
  const mysql = (pool?: { max: number }) => knexFactory({ client: 'mysql2', connection: { host: '127.0.0.1' }, ...(pool ? { pool: { min: 0, ...pool } } : {}) });

  it('warns when the pool max is not above processing.concurrency plus commits and headroom', async () => {
    const knex = mysql({ max: 4 });
    try {
      expect(poolWarning(knex, { concurrency: 8, maxConcurrentCommits: 1 })).to.match(/allows 4 connections.*at least 11/);
    } finally {
      await knex.destroy();
    }
  });

  it('stays quiet for a pool with room, and for SQLite\'s single connection', async () => {
    const roomy = mysql({ max: 20 });
    const sqlite = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    try {
      expect(poolWarning(roomy, { concurrency: 8, maxConcurrentCommits: 1 })).to.equal(null);
      expect(poolWarning(sqlite, { concurrency: 8, maxConcurrentCommits: 1 })).to.equal(null);
    } finally {
      await roomy.destroy();
      await sqlite.destroy();
    }
  });
});
