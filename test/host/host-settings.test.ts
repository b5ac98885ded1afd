import { expect } from 'chai';
import express from 'express';
import Koa from 'koa';
import type { WebhooksPlugin } from '../../plugin/index.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { post, signedPost } from '../helpers/requests.js';
import { serveHost, type HostUnderTest } from './serve.js';

const koaApp = (proxy: boolean) => (plugin: WebhooksPlugin) => {
  const app = new Koa({ proxy });
  app.use(plugin.koaMiddleware());
  return app.callback();
};

describeEachDatabase('host settings reaching the plugin', (db) => {
  let host: HostUnderTest | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
    await db().knex('webhook_outbox').delete();
    await db().knex('webhook_dedupe').delete();
    await db().knex('webhook_partners').delete();
  });

  /** A partner that accepts only 203.0.113.7, called through a proxy that says the client is 203.0.113.7. */
  async function viaProxy(id: string) {
    const { secret } = await host!.plugin.partners.add({ slug: 'acme', settings: { allowIps: ['203.0.113.7'] } });
    const request = signedPost('hmac-sha256', secret, { id, type: 'contact.updated', data: { email: 'a@example.com' } });
    return post(`${host!.origin}/plugins/webhooks/acme`, { ...request, headers: { ...request.headers, 'x-forwarded-for': '203.0.113.7' } });
  }

  it('follows the parent Koa app\'s proxy setting: an allow-listed caller behind the proxy is accepted', async () => {
    host = await serveHost(db().knex, koaApp(true));
    expect((await viaProxy('evt_p1')).status).to.equal(202);
  });

  it('believes no X-Forwarded-For when the parent Koa app does not trust proxies', async () => {
    host = await serveHost(db().knex, koaApp(false));
    const response = await viaProxy('evt_p2');
    expect(response.status).to.equal(403);
    expect(response.body).to.include({ error: 'ip_not_allowed' });
  });

  it('follows Express\'s trust proxy setting', async () => {
    host = await serveHost(db().knex, (plugin) => express().set('trust proxy', 'loopback').use('/plugins/webhooks', plugin.nodeHandler()));
    expect((await viaProxy('evt_p3')).status).to.equal(202);
  });

  it('keeps receive.trustedProxies as the explicit override of the host\'s setting', async () => {
    host = await serveHost(db().knex, koaApp(true), { receive: { trustedProxies: ['10.0.0.0/8'] } });
    expect((await viaProxy('evt_p4')).status).to.equal(403);
  });

  it('answers GET on a partner route with 405 method_not_allowed and an Allow header', async () => {
    host = await serveHost(db().knex, koaApp(false));
    // GET now goes through the partner checks first (issue 10: GET handshakes), so the partner must exist.
    await host.plugin.partners.add({ slug: 'acme' });
    const response = await fetch(`${host.origin}/plugins/webhooks/acme`);
    expect(response.status).to.equal(405);
    expect(response.headers.get('allow')).to.equal('POST');
    expect(await response.json()).to.include({ error: 'method_not_allowed' });
  });

  it('puts /_health and /_metrics behind authorize when authorizeHealthAndMetrics is on', async () => {
    const asked: unknown[] = [];
    host = await serveHost(db().knex, koaApp(false), {
      authorizeHealthAndMetrics: true,
      authorize: (ctx) => {
        asked.push(ctx.state.webhooksPermission);
        return ctx.get('authorization') === 'Bearer ops';
      },
    });
    for (const path of ['_health', '_metrics']) {
      expect((await fetch(`${host.origin}/plugins/webhooks/${path}`)).status, path).to.equal(401);
      expect((await fetch(`${host.origin}/plugins/webhooks/${path}`, { headers: { authorization: 'Bearer ops' } })).status, path).to.equal(200);
    }
    expect(asked).to.include('webhooks.observe.read');
  });

  it('leaves /_health and /_metrics public by default', async () => {
    host = await serveHost(db().knex, koaApp(false));
    expect((await fetch(`${host.origin}/plugins/webhooks/_health`)).status).to.equal(200);
    expect((await fetch(`${host.origin}/plugins/webhooks/_metrics`)).status).to.equal(200);
  });
});
