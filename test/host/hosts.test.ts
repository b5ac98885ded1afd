import type { RequestListener } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { koaBody } from 'koa-body';
import mount from 'koa-mount';
import type { WebhooksPlugin } from '../../plugin/index.js';
import { RAW_BODY_HINT } from '../../plugin/host/raw-body-source.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { post, signedPost } from '../helpers/requests.js';
import { serveHost, type HostUnderTest } from './serve.js';

type Build = (plugin: WebhooksPlugin) => RequestListener;

const koaHost = (setup: (app: Koa, plugin: WebhooksPlugin) => void): Build => (plugin) => {
  const app = new Koa();
  app.silent = true;
  setup(app, plugin);
  app.use((ctx) => {
    ctx.body = { host: 'own route' };
  });
  return app.callback();
};

const expressHost = (setup: (app: express.Express, plugin: WebhooksPlugin) => void): Build => (plugin) => {
  const app = express();
  setup(app, plugin);
  app.use((_req, res) => {
    res.json({ host: 'own route' });
  });
  return app;
};

/** Hosts as CRMs build them, each with a body parser (or its own reading) placed the way the README says. */
const WORKING: Record<string, Build> = {
  'Koa with koa-bodyparser before koaMiddleware()': koaHost((app, plugin) => {
    app.use(bodyParser());
    app.use(plugin.koaMiddleware());
  }),
  'Koa with koa-bodyparser before koa-mount': koaHost((app, plugin) => {
    app.use(bodyParser());
    app.use(mount('/plugins/webhooks', plugin.app));
  }),
  'Koa with koa-body (includeUnparsed) before koaMiddleware()': koaHost((app, plugin) => {
    app.use(koaBody({ includeUnparsed: true }));
    app.use(plugin.koaMiddleware());
  }),
  'Koa with koaMiddleware() before koa-body': koaHost((app, plugin) => {
    app.use(plugin.koaMiddleware());
    app.use(koaBody());
  }),
  'Strapi-like: the README\'s global::webhooks before strapi::body (koa-body), inside strapi::errors': koaHost((app, plugin) => {
    const strapi: { webhooks?: WebhooksPlugin } = {}; // set by "bootstrap", as in the README
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch {
        ctx.status = 500;
        ctx.body = { error: 'strapi::errors caught it' };
      }
    });
    app.use((ctx, next) => (strapi.webhooks ? strapi.webhooks.koaMiddleware()(ctx, next) : next()));
    app.use(koaBody());
    strapi.webhooks = plugin;
  }),
  'Express with express.json({ verify }) before nodeHandler()': expressHost((app, plugin) => {
    app.use(
      express.json({
        verify: (req, _res, buf) => {
          (req as unknown as { rawBody: Buffer }).rawBody = buf;
        },
      }),
    );
    app.use('/plugins/webhooks', plugin.nodeHandler());
  }),
  'Express with nodeHandler() before express.json()': expressHost((app, plugin) => {
    app.use('/plugins/webhooks', plugin.nodeHandler());
    app.use(express.json());
  }),
  'plain http with nodeHandler({ mountPath })': (plugin) => {
    const handler = plugin.nodeHandler({ mountPath: '/plugins/webhooks' });
    return (req, res) => handler(req, res, () => res.end(JSON.stringify({ host: 'own route' })));
  },
};

/** The same hosts with the parser first and no raw copy kept: the mistake the issue found in Strapi. */
const MISCONFIGURED: Record<string, Build> = {
  'Koa with koa-body (no includeUnparsed) before koaMiddleware()': koaHost((app, plugin) => {
    app.use(koaBody());
    app.use(plugin.koaMiddleware());
  }),
  'Express with express.json() before nodeHandler()': expressHost((app, plugin) => {
    app.use(express.json());
    app.use('/plugins/webhooks', plugin.nodeHandler());
  }),
  'plain http that read the body before calling nodeHandler()': (plugin) => {
    const handler = plugin.nodeHandler({ mountPath: '/plugins/webhooks' });
    return (req, res) => {
      req.resume();
      req.on('end', () => handler(req, res));
    };
  },
};

describeEachDatabase('hosts with body parsers', (db) => {
  let host: HostUnderTest | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
    await db().knex('webhook_outbox').delete();
    await db().knex('webhook_dedupe').delete();
    await db().knex('webhook_partners').delete();
  });

  async function event(slug: string, id: string) {
    const { secret } = await host!.plugin.partners.add({ slug });
    return signedPost('hmac-sha256', secret, { id, type: 'contact.updated', data: { email: 'ada@example.com' } });
  }

  for (const [name, build] of Object.entries(WORKING)) {
    it(`${name}: verifies, dedupes and processes a signed event, and leaves other routes to the host`, async () => {
      host = await serveHost(db().knex, build);
      const request = await event('acme', 'evt_1');
      const first = await post(`${host.origin}/plugins/webhooks/acme`, request);
      expect(first, JSON.stringify(first.body)).to.include({ status: 202 });
      expect(first.body).to.deep.equal({ status: 'accepted', id: 'evt_1' });
      const again = await post(`${host.origin}/plugins/webhooks/acme`, request);
      expect(again.status).to.equal(200);
      expect(again.body).to.deep.equal({ status: 'duplicate', id: 'evt_1' });
      await host.handledCount(1);
      expect(host.handled.map((e) => e.payload.data.email)).to.deep.equal(['ada@example.com']);

      const forged = await post(`${host.origin}/plugins/webhooks/acme`, { ...request, body: request.body.replace('ada', 'eve') });
      expect(forged.status).to.equal(401);
      const own = await fetch(`${host.origin}/crm/contacts`);
      expect(await own.json()).to.deep.equal({ host: 'own route' });
    });
  }

  for (const [name, build] of Object.entries(MISCONFIGURED)) {
    it(`${name}: refuses with 503 raw_body_unavailable, commits nothing and logs what to change`, async () => {
      host = await serveHost(db().knex, build);
      const response = await post(`${host.origin}/plugins/webhooks/acme`, await event('acme', 'evt_2'));
      expect(response.status).to.equal(503);
      expect(response.body).to.include({ error: 'raw_body_unavailable' });
      expect(response.headers.get('retry-after')).to.equal('5');
      expect(await db().knex('webhook_outbox').count({ n: '*' })).to.deep.equal([{ n: 0 }]);
      const line = host.logger.lines.find((l) => l.fields.reason === 'raw_body_unavailable');
      expect((line?.fields.err as Error | undefined)?.message).to.equal(RAW_BODY_HINT);
    });
  }
});
