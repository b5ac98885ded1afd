import type Koa from 'koa';
import { Registry } from 'prom-client';
import { resolveConfig, type PluginOptions } from './config.js';
import { adminRoutes } from './http/admin-routes.js';
import { createApp } from './http/app.js';
import { healthRoute } from './http/health-route.js';
import { metricsRoute } from './http/metrics-route.js';
import { receiveRoute } from './http/receive-route.js';
import { createPersist } from './ingest/persist.js';
import { createRateLimiter } from './ingest/rate-limiter.js';
import { createReceiver } from './ingest/receiver.js';
import { alertFiguresReader } from './observe/alert-figures.js';
import { createAlertMonitor } from './observe/alert-monitor.js';
import { createAttemptWindow } from './observe/attempt-window.js';
import { createHealthCheck, type HealthReport } from './observe/health.js';
import { defaultLogger } from './observe/logger.js';
import { createMetrics } from './observe/metrics.js';
import { createOrderMetrics } from './observe/order-metrics.js';
import { createOutboxFigures } from './observe/outbox-figures.js';
import { fanOutTelemetry } from './observe/telemetry.js';
import { createOutboxAdmin, type OutboxAdmin } from './outbox/outbox-admin.js';
import { createPartnerAdmin, type PartnerAdmin } from './partners/partner-admin.js';
import { createPartnerDirectory } from './partners/partner-directory.js';
import { createLease } from './retention/lease.js';
import { createRetention, retentionLeaseMs } from './retention/retention.js';
import { countDeadSince, readBacklog } from './store/backlog.js';
import { createDbClock } from './store/db-clock.js';
import { dialectOf } from './store/dialect.js';
import { readBlockedKeys } from './store/order-claim.js';
import { assertSupportedServer, migrateLatest } from './store/migrate.js';
import type { Handler, HandlerOptions } from './types.js';
import { createDispatcher } from './worker/dispatcher.js';
import { createHandlerRegistry } from './worker/registry.js';

export interface WebhooksPlugin {
  /** Mount at /plugins/webhooks, before any body parser: signatures need the raw body. */
  readonly app: Koa;
  /** Applies the plugin's pending migrations (its own `webhook_migrations` table); returns their names. */
  migrate(): Promise<string[]>;
  /** Registers a handler for an event type, or '*' for every event; `{ stale: 'call' }` also calls it for stale events (issue 12). */
  on(eventType: string, handler: Handler, options?: HandlerOptions): void;
  /** Begins processing (takes back work a crashed process left), alert checks and, when enabled, retention. */
  start(): Promise<void>;
  /** Stops taking work, lets running handlers finish within the stop timeout, gives back the rest; stops alerts and retention. */
  stop(): Promise<void>;
  /** Partner management (the CLI's `partner` commands use the same functions). */
  readonly partners: PartnerAdmin;
  /** Outbox administration: stats, list, show, replay, prune (the CLI's `outbox` commands and the admin routes). */
  readonly outbox: OutboxAdmin;
  /** The Prometheus registry holding the plugin's metrics: the `metricsRegistry` option, or the plugin's own. */
  readonly metrics: Registry;
  /** What GET /_health answers, for a host that aggregates its own health check. */
  health(): Promise<HealthReport>;
  /** Names this process in `locked_by`. */
  readonly instanceId: string;
}

const RETENTION_LEASE = 'retention';

export function createWebhooksPlugin(options: PluginOptions): WebhooksPlugin {
  const config = resolveConfig(options);
  const { knex, clock, settings } = config;
  const dialect = dialectOf(knex);
  const logger = (config.logger ?? defaultLogger()).child({ component: 'crm-webhooks' });
  const dbClock = createDbClock(knex, dialect, clock);
  const registry = createHandlerRegistry();
  const outbox = createOutboxAdmin({ knex, dialect, clock });
  const dbTimeoutMs = settings.health.timeoutMs;

  // Scrape-time figures read the dispatcher, created below: they are only called once the plugin exists.
  const queueDepth = () => dispatcher.depth;
  const metricsRegistry = config.metricsRegistry ?? new Registry();
  // Scrapes read the backlog (pending, processing, dead) only: counting done rows would scan an index
  // of millions of rows every 15 s. Throughput is in the attempts counter instead.
  const outboxFigures = createOutboxFigures({
    stats: async () => {
      const { pending, processing, dead, oldestPendingAgeSeconds, blockedKeys, oldestBlockedKeySeconds } = await readBacklog(knex, dialect);
      return { byStatus: { pending, processing, dead }, oldestPendingAgeSeconds, blockedKeys, oldestBlockedKeySeconds };
    },
    clock,
    timeoutMs: dbTimeoutMs,
  });
  const attemptWindow = createAttemptWindow(clock, settings.alerts.windowSeconds * 1000);
  const telemetry = fanOutTelemetry(createMetrics(metricsRegistry, { queueDepth, outboxFigures }), attemptWindow);
  const orderMetrics = createOrderMetrics(metricsRegistry, outboxFigures);

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
  const receiver = createReceiver({
    directory,
    persist,
    rateLimiter: createRateLimiter(clock),
    clock,
    receive: settings.receive,
    onUnordered: orderMetrics.unordered,
  });
  // Changes made through this instance apply to it at once; other processes see them within the cache time.
  const partners = createPartnerAdmin({ knex, dialect, secretBox: config.secretBox, clock, onChange: () => directory.invalidate() });

  const backlog = () => readBacklog(knex, dialect);
  const health = createHealthCheck({
    ping: () => knex.raw('SELECT 1'),
    readBacklog: backlog,
    queueDepth,
    clock,
    maxPendingAgeSeconds: settings.health.maxPendingAgeSeconds,
    timeoutMs: dbTimeoutMs,
  });
  const alerts = createAlertMonitor({
    thresholds: settings.alerts,
    intervalMs: settings.alerts.checkIntervalMs,
    read: alertFiguresReader(
      {
        overdueSeconds: async () => (await backlog()).overdueSeconds,
        oldestBlockedKeySeconds: async () => (await readBlockedKeys(knex, dialect)).oldestBlockedKeySeconds,
        deadRowsSince: (sinceMs) => countDeadSince(knex, sinceMs),
        attempts: attemptWindow,
        dbNow: () => dbClock.now(),
        timeoutMs: dbTimeoutMs,
      },
      settings.alerts,
    ),
    onAlert: config.onAlert,
    logger,
  });
  const retention = createRetention({
    prune: (pruneOptions) => outbox.prune(pruneOptions),
    lease: createLease({ knex, dialect, dbClock, name: RETENTION_LEASE, holder: config.instanceId, ttlMs: retentionLeaseMs(settings.retention.intervalMs) }),
    settings: settings.retention,
    clock,
    logger,
  });

  const app = createApp({
    receive: receiveRoute({ receiver, telemetry, logger, clock }),
    health: healthRoute(health),
    metrics: metricsRoute(metricsRegistry),
    admin: adminRoutes({ partners, outbox, authorize: config.authorize, dialect, logger, retryAfterSeconds: settings.receive.retryAfterSeconds }),
  });

  return {
    app,
    instanceId: config.instanceId,
    partners,
    outbox,
    metrics: metricsRegistry,
    health,
    migrate: () => migrateLatest(knex, dialect),
    on: (eventType, handler, handlerOptions) => registry.on(eventType, handler, handlerOptions),
    async start() {
      if (!config.secretBox) {
        logger.warn('WEBHOOKS_SECRET_KEY is not set: partner secrets are stored unencrypted in webhook_partners');
      }
      await assertSupportedServer(knex, dialect);
      if (!settings.retention.enabled) {
        logger.info('retention is off: done outbox rows and dedupe rows stay until `crm-webhooks outbox prune` (or retention: { enabled: true })');
      }
      await directory.refresh();
      await dispatcher.start();
      alerts.start();
      retention.start();
      logger.info({ instanceId: config.instanceId, concurrency: settings.processing.concurrency, retention: settings.retention.enabled }, 'webhooks processing started');
    },
    async stop() {
      await Promise.all([dispatcher.stop(), alerts.stop(), retention.stop()]);
      logger.info({ instanceId: config.instanceId }, 'webhooks processing stopped');
    },
  };
}

export type { PluginOptions } from './config.js';
export type { SettingsInput as WebhooksSettings } from './settings.js';
export type { Alert, Clock, Handler, HandlerContext, HandlerOptions, Logger, SchemeName, WebhookEvent } from './types.js';
export type { HealthReport } from './observe/health.js';
export type { OutboxAdmin, OutboxRowDetail, OutboxRowView, OutboxStats } from './outbox/outbox-admin.js';
export type { PartnerView } from './partners/partner-admin.js';
export { ADMIN_PERMISSIONS, type AdminPermission } from './http/admin-auth.js';
export { METRIC_NAMES } from './observe/metrics.js';
export { ConfigError, SecretKeyError, WebhookError } from './errors.js';
