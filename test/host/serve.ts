import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Knex } from 'knex';
import { createWebhooksPlugin, type PluginOptions, type WebhookEvent, type WebhooksPlugin } from '../../plugin/index.js';
import { recordingLogger } from '../helpers/logger.js';

export interface ContactUpdated {
  id: string;
  type: 'contact.updated';
  data: { email: string };
}

export interface HostUnderTest {
  plugin: WebhooksPlugin;
  logger: ReturnType<typeof recordingLogger>;
  /** Events the handler saw, in order. */
  handled: WebhookEvent<ContactUpdated>[];
  /** Resolves once the handler has seen `count` events. */
  handledCount(count: number): Promise<void>;
  origin: string;
  close(): Promise<void>;
}

/** A plugin with one typed handler, served by whatever request listener the host under test builds. */
export async function serveHost(
  knex: Knex,
  listener: (plugin: WebhooksPlugin) => RequestListener,
  options: Partial<PluginOptions> = {},
): Promise<HostUnderTest> {
  const logger = recordingLogger();
  // A stalled test machine must not turn these requests into 503s; the guard has tests of its own.
  const plugin = createWebhooksPlugin({ logger, ...options, receive: { maxEventLoopDelayMs: 0, ...options.receive }, knex });
  await plugin.migrate();
  const handled: WebhookEvent<ContactUpdated>[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  plugin.on<ContactUpdated>('contact.updated', async (event, { trx }) => {
    await trx.raw('SELECT 1');
    handled.push(event);
    for (const waiter of waiters) if (handled.length >= waiter.count) waiter.resolve();
  });
  await plugin.start();
  const server: Server = createServer(listener(plugin));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    plugin,
    logger,
    handled,
    handledCount: (count) => (handled.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await plugin.stop();
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
