import { expect } from 'chai';
import { once } from 'node:events';
import { createServer } from 'node:http';
import knexFactory from 'knex';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost } from '../helpers/host.js';
import { post, signedPost } from '../helpers/requests.js';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { recordingLogger } from '../helpers/logger.js';

const SECRET = 'unavailable-secret-0123456789';

describeEachDatabase('database unavailable', (db) => {
  it('answers 503 with Retry-After, never 2xx, when the database goes away mid-run, and stores nothing', async () => {
    const pool = db().open();
    const host = await startTestHost(pool);
    try {
      await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
      const before = `evt_before_${Date.now()}`;
      expect((await post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id: before, type: 't' }))).status).to.equal(202);

      await pool.destroy();
      const id = `evt_during_${Date.now()}`;
      const responses = await Promise.all(Array.from({ length: 5 }, () => post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 't' }))));
      for (const response of responses) {
        expect(response.status).to.equal(503);
        expect(response.body.error).to.equal('store_unavailable');
        expect(Number(response.headers.get('retry-after'))).to.be.greaterThan(0);
        expect(JSON.stringify(response.body)).not.to.match(/select|insert|knex|at \w+ \(/i);
      }
      expect(await db().knex('webhook_outbox').where({ event_id: id })).to.have.length(0);
      expect(await db().knex('webhook_dedupe').where({ event_id: id })).to.have.length(0);
      expect(await db().knex('webhook_outbox').where({ event_id: before })).to.have.length(1);
    } finally {
      await host.close().catch(() => undefined);
    }
  });
});

describe('database unreachable from the start', () => {
  it('answers 503 when the partner list cannot be read (nothing listens on the port)', async () => {
    const knex = knexFactory({ client: 'mysql2', connection: { host: '127.0.0.1', port: 1, user: 'root', database: 'none', connectTimeout: 500 }, pool: { min: 0, max: 2 }, acquireConnectionTimeout: 1000 });
    const plugin = createWebhooksPlugin({ knex, logger: recordingLogger() });
    const server = createServer(plugin.app.callback()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as { port: number }).port;
      const response = await post(`http://127.0.0.1:${port}/acme`, signedPost('hmac-sha256', SECRET, { id: 'e1', type: 't' }));
      expect(response.status).to.equal(503);
      expect(response.headers.get('retry-after')).to.not.equal(null);
    } finally {
      server.close();
      await knex.destroy();
    }
  });
});
