import type Koa from 'koa';
import { resolveConfig, type PluginOptions } from './config.js';
import { createApp } from './http/app.js';
import { receiveRoute } from './http/receive-route.js';
import { createPersist } from './ingest/persist.js';
import { createRateLimiter } from './ingest/rate-limiter.js';
import { createReceiver } from './ingest/receiver.js';
import { defaultLogger } from './observe/logger.js';
import { noTelemetry } from './observe/telemetry.js';
import { createPartnerAdmin, type PartnerAdmin } from './partners/partner-admin.js';
import { createPartnerDirectory } from './partners/partner-directory.js';
import { createDbClock } from './store/db-clock.js';
import { dialectOf } from './store/dialect.js';
import { migrateLatest } from './store/migrate.js';
import type { Handler } from './types.js';
import { createDispatcher } from './worker/dispatcher.js';
import { createHandlerRegistry } from './worker/registry.js';

export interface WebhooksPlugin {
  /** Mount at /plugins/webhooks, before any body parser: signatures need the raw body. */
  readonly app: Koa;
  /** Applies the plugin's pending migrations (its own `webhook_migrations` table); returns their names. */
  migrate(): Promise<string[]>;
  /** Registers a handler for an event type, or '*' for every event. */
  on(eventType: string, handler: Handler): void;
  /** Begins processing: takes back work a crashed process left, then runs new events as they arrive. */
  start(): Promise<void>;
  /** Stops taking work, lets running handlers finish within the stop timeout, gives back the rest. */
  stop(): Promise<void>;
  /** Partner management (the CLI's `partner` commands use the same functions). */
  readonly partners: PartnerAdmin;
  /** Names this process in `locked_by`. */
  readonly instanceId: string;
}

export function createWebhooksPlugin(options: PluginOptions): WebhooksPlugin {
  const config = resolveConfig(options);
  const { knex, clock, settings } = config;
  const dialect = dialectOf(knex);
  const logger = (config.logger ?? defaultLogger()).child({ component: 'crm-webhooks' });
  const telemetry = noTelemetry;
  const dbClock = createDbClock(knex, dialect, clock);
  const registry = createHandlerRegistry();

  const dispatcher = createDispatcher({
    knex,
    dialect,
    dbClock,
    clock,
    random: config.random,
    logger,
    telemetry,
    registry,
    processing: settings.processing,
    logBodies: settings.logBodies,
    instanceId: config.instanceId,
  });
  const persist = createPersist({
    knex,
    dialect,
    dbClock,
    logger,
    ...settings.ingest,
    retryAfterSeconds: settings.receive.retryAfterSeconds,
    fastPath: dispatcher.fastPath,
  });
  const directory = createPartnerDirectory({ knex, dialect, secretBox: config.secretBox, clock, logger, cacheMs: settings.partnerCacheMs });
  const receiver = createReceiver({ directory, persist, rateLimiter: createRateLimiter(clock), clock, receive: settings.receive });
  const app = createApp({ receive: receiveRoute({ receiver, telemetry, logger, clock }) });

  return {
    app,
    instanceId: config.instanceId,
    partners: createPartnerAdmin({ knex, dialect, secretBox: config.secretBox, clock }),
    migrate: () => migrateLatest(knex, dialect),
    on: (eventType, handler) => registry.on(eventType, handler),
    async start() {
      if (!config.secretBox) {
        logger.warn('WEBHOOKS_SECRET_KEY is not set: partner secrets are stored unencrypted in webhook_partners');
      }
      await directory.refresh();
      await dispatcher.start();
      logger.info({ instanceId: config.instanceId, concurrency: settings.processing.concurrency }, 'webhooks processing started');
    },
    async stop() {
      await dispatcher.stop();
      logger.info({ instanceId: config.instanceId }, 'webhooks processing stopped');
    },
  };
}

export type { PluginOptions } from './config.js';
export type { SettingsInput as WebhooksSettings } from './settings.js';
export type { Alert, Clock, Handler, HandlerContext, Logger, SchemeName, WebhookEvent } from './types.js';
export { ConfigError, SecretKeyError, WebhookError } from './errors.js';
