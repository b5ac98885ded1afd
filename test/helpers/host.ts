import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import mount from 'koa-mount';
import type { Knex } from 'knex';
import { createWebhooksPlugin, type PluginOptions, type WebhooksPlugin } from '../../plugin/index.js';
import { recordingLogger } from './logger.js';

export interface TestHost {
  plugin: WebhooksPlugin;
  baseUrl: string;
  server: Server;
  logger: ReturnType<typeof recordingLogger>;
  /** URL of a partner's receive route. */
  url(slug: string): string;
  close(): Promise<void>;
}

/** A host like the CRM: a Koa app with the plugin mounted at /plugins/webhooks, on an ephemeral port. */
export async function startTestHost(knex: Knex, options: Partial<PluginOptions> = {}, startProcessing = false): Promise<TestHost> {
  const logger = recordingLogger();
  // The event-loop guard is off unless a test asks for it: a loaded CI machine stalls test processes
  // for 100 ms now and then, and a 503 there would fail tests about something else.
  const plugin = createWebhooksPlugin({ logger, ...options, receive: { maxEventLoopDelayMs: 0, ...options.receive }, knex });
  await plugin.migrate();
  const app = new Koa();
  app.on('error', () => undefined); // clients that hang up mid-request (hostile tests) are not failures
  app.use(mount('/plugins/webhooks', plugin.app));
  const server = createServer(app.callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  if (startProcessing) await plugin.start();
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/plugins/webhooks`;
  return {
    plugin,
    baseUrl,
    server,
    logger,
    url: (slug) => `${baseUrl}/${slug}`,
    async close() {
      await plugin.stop();
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
