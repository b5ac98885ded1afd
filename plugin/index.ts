import type Koa from 'koa';
import { Registry } from 'prom-client';
import { resolveConfig, type PluginOptions } from './config.js';
import { adminRoutes } from './http/admin-routes.js';
import { createApp } from './http/app.js';
import { healthRoute } from './http/health-route.js';
import { metricsRoute } from './http/metrics-route.js';
import { receiveRoute } from './http/receive-route.js';
import { ADMIN_PERMISSIONS, requirePermission } from './http/admin-auth.js';
import { DEFAULT_MOUNT_PATH, koaMiddleware } from './host/koa-middleware.js';
import { nodeHandler, type NodeHandler, type NodeHandlerOptions } from './host/node-handler.js';
import { poolWarning } from './host/pool-check.js';
import { secretKeyReport } from './partners/secret-key-report.js';
import { createEventCommitter } from './ingest/commit-events.js';
import { createRateLimiter } from './ingest/rate-limiter.js';
import { createReceiver } from './ingest/receiver.js';
import { createUnverifiedBytes } from './ingest/unverified-bytes.js';
import { alertFiguresReader } from './observe/alert-figures.js';
import { createAlertMonitor } from './observe/alert-monitor.js';
import { createAttemptWindow } from './observe/attempt-window.js';
import { createEventLoopGuard } from './observe/event-loop.js';
import { createHealthCheck, type HealthReport } from './observe/health.js';
import { defaultLogger } from './observe/logger.js';
import { createMetrics } from './observe/metrics.js';
import { createMinuteFigures } from './observe/minute-figures.js';
import { createOrderMetrics } from './observe/order-metrics.js';
import { createOutboxFigures } from './observe/outbox-figures.js';
import { sharedRead } from './observe/shared-read.js';
import { fanOutTelemetry } from './observe/telemetry.js';
import { createOutboxAdmin, type OutboxAdmin } from './outbox/outbox-admin.js';
import { createPartnerAdmin, type PartnerAdmin } from './partners/partner-admin.js';
import { createPartnerDirectory } from './partners/partner-directory.js';
import { knownSignatureHeaders } from './providers/partner-scheme.js';
import { createPruneLock } from './retention/prune-lock.js';
import { createRetention, pruneLockTtlMs } from './retention/retention.js';
import { createDeadCount } from './observe/dead-count.js';
import { countDeadBefore, countDeadSince, pingDatabase, readBacklog } from './store/backlog.js';
import { createDbClock } from './store/db-clock.js';
import { dialectOf } from './store/dialect.js';
import { isPoolClosed } from './store/pool-state.js';
import { assertSupportedServer, migrateLatest } from './store/migrate.js';
import type { Handler, HandlerOptions } from './types.js';
import { createDispatcher } from './worker/dispatcher.js';
import { createHandlerRegistry } from './worker/registry.js';

export interface WebhooksPlugin {
  /** The Koa sub-app, for koa-mount at /plugins/webhooks; `koaMiddleware()` or `nodeHandler()` are easier. */
  readonly app: Koa;
  /** The plugin as one Koa middleware answering everything under `mountPath` (default /plugins/webhooks); put it before the body parser. */
  koaMiddleware(mountPath?: string): Koa.Middleware;
  /** The plugin as a Node `(req, res, next)` handler for Express, Fastify and `http` hosts. */
  nodeHandler(options?: NodeHandlerOptions): NodeHandler;
  /** Applies the plugin's pending migrations (its own `webhook_migrations` table); returns their names. */
  migrate(): Promise<string[]>;
  /** Registers a handler for an event type, or '*' for every event; `Payload` types `event.payload` (not checked at run time); `{ stale: 'call' }` also calls it for stale events. */
  on<Payload = unknown>(eventType: string, handler: Handler<Payload>, options?: HandlerOptions): void;
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

const PRUNE_LOCK = 'retention';
/** How often the running dead-row figure recounts the rows that died before its base time. */
const DEAD_RECOUNT_MS = 60_000;

export function createWebhooksPlugin(options: PluginOptions): WebhooksPlugin {
  const config = resolveConfig(options);
  const { knex, clock, settings } = config;
  const dialect = dialectOf(knex);
  const logger = (config.logger ?? defaultLogger(knownSignatureHeaders())).child({ component: 'crm-webhooks' });
  for (const warning of config.deprecations) logger.warn(`crm-webhooks: ${warning}`);
  const dbClock = createDbClock(knex, dialect, clock);
  const registry = createHandlerRegistry();
  const outbox = createOutboxAdmin({ knex, dialect, clock });
  const dbTimeoutMs = settings.health.timeoutMs;

  // Scrape-time figures read the dispatcher, created below: they are only called once the plugin exists.
  const queueDepth = () => dispatcher.depth;
  const loopGuard = createEventLoopGuard({
    maxDelayMs: settings.receive.maxEventLoopDelayMs,
    onChange: (busy, delayMs) =>
      busy
        ? logger.warn({ delayMs: Math.round(delayMs), maxDelayMs: settings.receive.maxEventLoopDelayMs }, 'the event loop is behind: refusing new webhooks (503) and claiming no new work')
        : logger.info({ delayMs: Math.round(delayMs) }, 'the event loop keeps up again: taking webhooks and work again'),
  });
  const metricsRegistry = config.metricsRegistry ?? new Registry();
  // Scrapes, probes and alerts read the backlog (pending, processing, dead) only: counting done rows
  // would scan an index of millions of rows every 15 s (throughput is in the attempts counter). One
  // read serves them all for health.cacheMs; the server stops it at the same deadline the caller
  // gives up at; and the dead figure is a running one, so its cost does not grow with the dead rows.
  const timeLimit = { timeLimitMs: dbTimeoutMs };
  const deadCount = createDeadCount({
    countBefore: (beforeMs) => countDeadBefore(knex, dialect, beforeMs, timeLimit),
    countSince: (sinceMs) => countDeadSince(knex, sinceMs, dialect, timeLimit),
    dbNow: () => dbClock.now(),
    clock,
    recountMs: DEAD_RECOUNT_MS,
  });
  const backlog = sharedRead(() => readBacklog(knex, dialect, { ...timeLimit, countDead: deadCount }), {
    clock,
    abandonAfterMs: Math.max(30_000, dbTimeoutMs * 10),
    freshForMs: settings.health.cacheMs,
  });
  const outboxFigures = createOutboxFigures({
    stats: async () => {
      const { pending, processing, dead, oldestPendingAgeSeconds, blockedKeys, oldestBlockedKeySeconds } = await backlog();
      return { byStatus: { pending, processing, dead }, oldestPendingAgeSeconds, blockedKeys, oldestBlockedKeySeconds };
    },
    clock,
    timeoutMs: dbTimeoutMs,
  });
  const attemptWindow = createAttemptWindow(clock, settings.alerts.windowSeconds * 1000);
  const minuteFigures = createMinuteFigures(clock);
  const telemetry = fanOutTelemetry(createMetrics(metricsRegistry, { queueDepth, outboxFigures, eventLoopDelayMs: () => loopGuard.delayMs() }), attemptWindow, minuteFigures);
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
    loopGuard,
  });
  const persist = createEventCommitter({
    knex,
    dialect,
    dbClock,
    logger,
    ...settings.ingest,
    retryAfterSeconds: settings.receive.retryAfterSeconds,
    fastPath: dispatcher.fastPath,
  });
  const directory = createPartnerDirectory({
    knex, dialect, secretBox: config.secretBox, clock, logger, cacheMs: settings.partnerCacheMs, firstLoadWaitMs: settings.receive.commitTimeoutMs,
  });
  const unverifiedBytes = createUnverifiedBytes({ maxBytes: settings.receive.maxUnverifiedBytes, maxBytesPerPartner: settings.receive.maxUnverifiedBytesPerPartner });
  const receiver = createReceiver({
    directory,
    persist,
    rateLimiter: createRateLimiter(clock),
    unverifiedBytes,
    clock,
    receive: settings.receive,
    loopGuard,
    onUnordered: orderMetrics.unordered,
  });
  // Changes made through this instance apply to it at once; other processes see them within the cache time.
  const partners = createPartnerAdmin({ knex, dialect, secretBox: config.secretBox, clock, onChange: () => directory.invalidate() });

  // A probe flood must not read the partners table per probe: the same cache as the other figures.
  const unreadableSecrets = sharedRead(async () => secretKeyReport((await directory.all()).values(), config.secretBox !== null).unreadable, {
    clock,
    abandonAfterMs: Math.max(30_000, dbTimeoutMs * 10),
    freshForMs: settings.health.cacheMs,
  });
  const health = createHealthCheck({
    ping: () => pingDatabase(knex),
    readBacklog: backlog,
    queueDepth,
    unreadableSecrets: unreadableSecrets,
    eventLoop: () => ({ delayMs: loopGuard.delayMs(), maxDelayMs: loopGuard.maxDelayMs, shedding: loopGuard.busy() }),
    clock,
    maxPendingAgeSeconds: settings.health.maxPendingAgeSeconds,
    timeoutMs: dbTimeoutMs,
    cacheMs: settings.health.cacheMs,
  });
  const alerts = createAlertMonitor({
    thresholds: settings.alerts,
    intervalMs: settings.alerts.checkIntervalMs,
    read: alertFiguresReader(
      {
        overdueSeconds: async () => (await backlog()).overdueSeconds,
        oldestBlockedKeySeconds: async () => (await backlog()).oldestBlockedKeySeconds,
        deadRowsSince: (sinceMs) => countDeadSince(knex, sinceMs, dialect, timeLimit),
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
    lease: createPruneLock({ knex, dialect, dbClock, name: PRUNE_LOCK, holder: config.instanceId, ttlMs: pruneLockTtlMs(settings.retention.intervalMs) }),
    settings: settings.retention,
    quiet: () => isPoolClosed(knex),
    clock,
    logger,
  });

  const app = createApp({
    receive: receiveRoute({
      receiver,
      telemetry,
      logger,
      clock,
      followHostProxy: settings.receive.trustedProxies.length === 0,
      retryAfterSeconds: settings.receive.retryAfterSeconds,
    }),
    ...(settings.authorizeHealthAndMetrics ? { observeGuard: requirePermission(ADMIN_PERMISSIONS.observeRead, config.authorize, logger) } : {}),
    health: healthRoute(health),
    metrics: metricsRoute(metricsRegistry),
    admin: adminRoutes({
      partners,
      outbox,
      knex,
      authorize: config.authorize,
      dialect,
      logger,
      clock,
      retryAfterSeconds: settings.receive.retryAfterSeconds,
      minuteFigures: () => minuteFigures.read(),
      backlog,
      firingAlerts: () => Object.entries(alerts.state).filter(([, firing]) => firing).map(([name]) => name),
    }),
  });

  const koaMiddlewares = new Map<string, Koa.Middleware>();

  return {
    app,
    // One middleware per path, so a host may call koaMiddleware() on every request (Strapi's global middleware does).
    koaMiddleware: (mountPath = DEFAULT_MOUNT_PATH) => {
      let middleware = koaMiddlewares.get(mountPath);
      if (!middleware) koaMiddlewares.set(mountPath, (middleware = koaMiddleware(app, mountPath)));
      return middleware;
    },
    nodeHandler: (handlerOptions) => nodeHandler(app, handlerOptions),
    instanceId: config.instanceId,
    partners,
    outbox,
    metrics: metricsRegistry,
    health,
    migrate: () => migrateLatest(knex, dialect),
    // The payload type is the handler author's claim; the registry holds handlers of any payload.
    on: (eventType, handler, handlerOptions) => registry.on(eventType, handler as Handler, handlerOptions),
    async start() {
      if (!config.secretBox) {
        logger.warn('WEBHOOKS_SECRET_KEY is not set: partner secrets are stored unencrypted in webhook_partners');
      }
      await assertSupportedServer(knex, dialect);
      if (!settings.retention.enabled) {
        logger.warn('retention is off: done outbox rows and dedupe rows stay until `crm-webhooks outbox prune`, and the tables grow without bound');
      }
      const pool = poolWarning(knex, { concurrency: settings.processing.concurrency, maxConcurrentCommits: settings.ingest.maxConcurrentCommits });
      if (pool) logger.warn(pool);
      const keys = secretKeyReport((await directory.refresh()).values(), config.secretBox !== null);
      if (keys.unreadable.length > 0) {
        logger.error({ partners: keys.unreadable }, 'these partners\' secrets cannot be opened with this process\'s WEBHOOKS_SECRET_KEY: their events get 503 until the host and the CLI use the same key');
      }
      if (keys.plainWhileKeyed.length > 0) {
        logger.warn({ partners: keys.plainWhileKeyed }, 'these partners have secrets stored unencrypted although WEBHOOKS_SECRET_KEY is set: they were added by a CLI without the key; run `crm-webhooks partner reencrypt --from-key none --to-key env:WEBHOOKS_SECRET_KEY`');
      }
      await dispatcher.start();
      alerts.start();
      retention.start();
      logger.info({ instanceId: config.instanceId, concurrency: settings.processing.concurrency, retention: settings.retention.enabled }, 'webhooks processing started');
    },
    async stop() {
      await Promise.all([dispatcher.stop(), alerts.stop(), retention.stop()]);
      loopGuard.stop();
      logger.info({ instanceId: config.instanceId }, 'webhooks processing stopped');
    },
  };
}

export type { PluginOptions } from './config.js';
export type { SettingsInput as WebhooksSettings } from './settings.js';
export type { Alert, Clock, Handler, HandlerContext, HandlerOptions, Logger, SchemeName, WebhookEvent } from './types.js';
export type { HostLogger, LoggerStyle } from './observe/logger-adapter.js';
export type { NodeHandler, NodeHandlerOptions } from './host/node-handler.js';
export type { HealthReport } from './observe/health.js';
export type { OutboxAdmin, OutboxRowDetail, OutboxRowView, OutboxStats } from './outbox/outbox-admin.js';
export type { PartnerView } from './partners/partner-admin.js';
export { ADMIN_PERMISSIONS, type AdminPermission } from './http/admin-auth.js';
export { METRIC_NAMES } from './observe/metrics.js';
export { ConfigError, SecretKeyError, WebhookError } from './errors.js';
