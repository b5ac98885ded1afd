import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import type { Knex } from 'knex';
import { createWebhooksPlugin, type Logger, type PluginOptions, type WebhooksPlugin } from '../../plugin/index.js';
import { migrateCrm } from './crm-schema.js';
import { registerCrmHandlers } from './crm-handlers.js';
import { loggableError } from '../../plugin/observe/loggable-error.js';
import { demoAdmin } from './demo-admin.js';

export interface DemoHostOptions {
  knex: Knex;
  port?: number;
  host?: string;
  notifyUrl?: string;
  /** Extra plugin options (logger, processing settings...). */
  plugin?: Partial<PluginOptions>;
  /** Register the CRM handlers (default true); benchmarks register a no-op instead. */
  crmHandlers?: boolean;
  /** Lets the admin page and API in with this token (GET /crm/login?token=..., or a Bearer header). */
  adminToken?: string;
}

export const ADMIN_PAGE_PATH = '/plugins/webhooks/_admin/';

export interface DemoHost {
  plugin: WebhooksPlugin;
  server: Server;
  /** http://host:port of the CRM. */
  origin: string;
  close(): Promise<void>;
}

/**
 * The stand-in legacy CRM: a Koa app with a few CRM routes, and the webhooks plugin mounted at
 * /plugins/webhooks exactly as a real host would mount it.
 */
export async function startDemoHost(options: DemoHostOptions): Promise<DemoHost> {
  const { knex } = options;
  const admin = options.adminToken ? demoAdmin(options.adminToken) : undefined;
  const plugin = createWebhooksPlugin({ ...(admin ? { authorize: admin.authorize } : {}), ...options.plugin, knex });
  await plugin.migrate();
  await migrateCrm(knex);
  if (options.crmHandlers !== false) {
    registerCrmHandlers(plugin, { ...(options.notifyUrl ? { notifyUrl: options.notifyUrl } : {}), now: () => Date.now() });
  }

  const crm = new Router();
  crm.get('/crm/contacts', async (ctx) => {
    ctx.body = await knex('crm_contacts').select('email', 'name', 'updated_by_event', 'updated_at').orderBy('id', 'desc').limit(20);
  });
  crm.get('/crm/orders', async (ctx) => {
    ctx.body = await knex('crm_orders').select('*').orderBy('updated_at', 'desc').limit(20);
  });
  admin?.registerLogin(crm, ADMIN_PAGE_PATH);
  const app = new Koa();
  // Without this Koa prints a stack to stderr whenever a client hangs up mid-request.
  app.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    (options.plugin?.logger as Logger | undefined)?.error({ err: loggableError(error) }, 'CRM request failed');
  });
  // Mounted before any body parser the CRM may use: the plugin needs the raw body for signatures.
  app.use(plugin.koaMiddleware('/plugins/webhooks'));
  app.use(crm.routes());

  const server = createServer(app.callback());
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  await plugin.start();
  const { address, port } = server.address() as AddressInfo;
  return {
    plugin,
    server,
    origin: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    async close() {
      server.close();
      server.closeIdleConnections();
      await plugin.stop();
      server.closeAllConnections();
    },
  };
}
