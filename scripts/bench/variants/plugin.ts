import type { IncomingMessage } from 'node:http';
import { openDatabase } from '../../../plugin/store/connect.js';
import type { PluginOptions } from '../../../plugin/index.js';
import type { WebhookEvent } from '../../../plugin/types.js';
import { startDemoHost } from '../../demo/demo-host.js';
import type { TrackedEvents, VariantCounters } from '../protocol.js';
import { epochMs, type Tracking, type VariantOptions, type VariantServer } from './common.js';

/**
 * The plugin through its real path: the demo CRM host with the plugin mounted at /plugins/webhooks,
 * signed requests verified, dedupe and outbox rows committed, and processing running as in
 * production, with a no-op '*' handler in place of the CRM's handlers.
 */
export async function startPlugin(options: VariantOptions): Promise<VariantServer> {
  const knex = openDatabase(options.databaseUrl);
  const counters: VariantCounters = { startedAtMs: options.startedAtMs, handled: 0, firstHandledAtMs: null, lastHandledAtMs: null };
  const tracking = createTracking();

  // The plugin's own logger (pino on stdout) at LOG_LEVEL, which the bench sets to warn: a warning
  // (a deadlock retry, a 503) is worth seeing next to the figures it explains.
  // BENCH_PLUGIN_SETTINGS: plugin options of one phase, e.g. the storm phase's yield switched off.
  const settings = JSON.parse(process.env.BENCH_PLUGIN_SETTINGS || '{}') as Partial<PluginOptions>;
  const host = await startDemoHost({ knex, port: 0, crmHandlers: false, plugin: settings });
  // startDemoHost has started processing, but its first poll is a timer that cannot fire before
  // this continuation runs, so no event (e.g. of a backlog) is processed without this handler.
  host.plugin.on('*', (event: WebhookEvent) => {
    const now = epochMs();
    counters.handled += 1;
    counters.firstHandledAtMs ??= now;
    counters.lastHandledAtMs = now;
    tracking.handled(event.id, now);
  });
  host.server.on('request', (request: IncomingMessage) => {
    const id = request.headers['x-webhook-id'];
    if (typeof id === 'string') tracking.arrived(id, epochMs());
  });

  return {
    port: (host.server.address() as { port: number }).port,
    counters: () => ({ ...counters }),
    tracking,
    async close() {
      await host.close();
      await knex.destroy();
    },
  };
}

/** Records arrival and handler times per event id, only between start() and collect(). */
function createTracking(): Tracking & { arrived(id: string, atMs: number): void; handled(id: string, atMs: number): void } {
  let arrivals: Map<string, number> | null = null;
  let handled = new Map<string, number>();
  return {
    start() {
      arrivals = new Map();
      handled = new Map();
    },
    arrived(id, atMs) {
      arrivals?.set(id, atMs);
    },
    handled(id, atMs) {
      if (arrivals) handled.set(id, atMs);
    },
    collect(): TrackedEvents {
      const seen = arrivals ?? new Map<string, number>();
      const events = [...handled].map(([id, handledAtMs]) => ({ id, arrivedAtMs: seen.get(id) ?? null, handledAtMs }));
      const result = { arrived: seen.size, handled: handled.size, events };
      arrivals = null;
      handled = new Map();
      return result;
    },
  };
}
