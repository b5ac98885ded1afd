import Router from '@koa/router';
import type { Context, Next } from 'koa';
import bodyParser from 'koa-bodyparser';
import type { Knex } from 'knex';
import { WebhookError } from '../errors.js';
import type { MinuteSeries } from '../observe/minute-figures.js';
import { MAX_LIST_LIMIT, type OutboxAdmin } from '../outbox/outbox-admin.js';
import { toRowView, type RawViewRow } from '../store/outbox-rows.js';
import type { PartnerAdmin } from '../partners/partner-admin.js';
import type { Backlog } from '../store/backlog.js';
import type { Dialect } from '../store/dialect.js';
import { countOutboxRows, listOutboxPage, type OutboxPageFilter } from '../store/outbox-page.js';
import type { Clock, Logger } from '../types.js';
import { ADMIN_PERMISSIONS, requirePermission, type AdminPermission, type Authorize } from './admin-auth.js';
import { sameOriginJsonWrites } from './admin-csrf.js';
import { registerPageRoutes } from './admin-page-route.js';
import { defaultSchemes, registerPartnerRoutes } from './admin-partner-routes.js';
import { parseBefore, parseId, parseLimit, parsePartner, parseStatus, parseText, parseTime, queryParam } from './admin-query.js';
import { timelineOf } from './admin-timeline.js';
import { sendError } from './error-response.js';
import { loggableError } from '../observe/loggable-error.js';

export interface AdminRoutesDeps {
  partners: PartnerAdmin;
  outbox: OutboxAdmin;
  knex: Knex;
  authorize: Authorize | undefined;
  dialect: Dialect;
  logger: Logger;
  clock: Clock;
  retryAfterSeconds: number;
  /** This process's per-minute figures (observe/minute-figures.ts). */
  minuteFigures(): MinuteSeries;
  backlog(): Promise<Backlog>;
  /** Names of the alerts firing now. */
  firingAlerts(): string[];
  /** Signature schemes and presets offered for a new partner; default the built-in schemes. */
  schemes?: () => readonly string[];
  /** Where the built page lives (tests point it elsewhere); default dist/plugin/admin-page. */
  pageDir?: URL;
}

const DEFAULT_PAGE = 50;

type Middleware = (ctx: Context, next: Next) => Promise<void>;

const WRITES: ReadonlySet<AdminPermission> = new Set([ADMIN_PERMISSIONS.partnersWrite, ADMIN_PERMISSIONS.outboxReplay]);

function chain(...steps: Middleware[]): Middleware {
  return (ctx, next) => {
    const run = (i: number): Promise<void> => (i === steps.length ? next() : steps[i]!(ctx, () => run(i + 1)));
    return run(0);
  };
}

function pageFilter(ctx: Context): OutboxPageFilter {
  return {
    status: parseStatus(queryParam(ctx, 'status')),
    partner: parsePartner(queryParam(ctx, 'partner')),
    eventType: parseText('type', queryParam(ctx, 'type')),
    eventId: parseText('eventId', queryParam(ctx, 'eventId')),
    fromMs: parseTime('from', queryParam(ctx, 'from')),
    toMs: parseTime('to', queryParam(ctx, 'to')),
  };
}

/**
 * The admin API mounted at /_admin (JSON), and the admin page that uses it. Every route checks its
 * permission through the host's authorize(ctx); writes first pass the CSRF guard. Nothing here ever
 * returns a stored secret: partners come from PartnerAdmin's views, outbox rows carry headers
 * already redacted on the way in.
 */
export function adminRoutes(deps: AdminRoutesDeps): Router {
  const { outbox, logger } = deps;
  // Only admin writes take a body; the receive route must keep reading its raw body itself.
  const jsonBody = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', strict: true });
  const guard = sameOriginJsonWrites();
  // Writes pass the CSRF guard first, then authorize, then have their JSON body parsed. Attached to
  // each write route rather than router.use, so a POST that matches no admin route (POST /_admin)
  // still reaches the receive route's 404.
  const allow = (permission: AdminPermission): Middleware => {
    const check = requirePermission(permission, deps.authorize, logger);
    return WRITES.has(permission) ? chain(guard, check, jsonBody as Middleware) : check;
  };
  const router = new Router();
  router.use(answerErrors(deps));
  // Preflights get an answer that grants nothing.
  router.options('/{*path}', guard);

  registerPageRoutes(router, allow, deps.pageDir);
  registerPartnerRoutes(router, allow, {
    partners: deps.partners,
    knex: deps.knex,
    dialect: deps.dialect,
    clock: deps.clock,
    refusals: () => deps.minuteFigures().refusals,
    schemes: deps.schemes ?? defaultSchemes,
  });

  // Newest first, keyset-paged: `next` is the `before` of the following page (null on the last).
  router.get('/outbox', allow(ADMIN_PERMISSIONS.outboxRead), async (ctx) => {
    const limit = parseLimit(queryParam(ctx, 'limit'), MAX_LIST_LIMIT) ?? DEFAULT_PAGE;
    const page = await listOutboxPage<RawViewRow>(deps.knex, deps.dialect, { ...pageFilter(ctx), beforeId: parseBefore(queryParam(ctx, 'before')), limit });
    ctx.body = { rows: page.rows.map(toRowView), next: page.next };
  });

  router.get('/outbox/count', allow(ADMIN_PERMISSIONS.outboxRead), async (ctx) => {
    ctx.body = { count: await countOutboxRows(deps.knex, pageFilter(ctx)) };
  });

  router.get('/outbox/:id', allow(ADMIN_PERMISSIONS.outboxRead), async (ctx) => {
    const row = await outbox.show(parseId(ctx.params.id));
    ctx.body = { ...row, timeline: timelineOf(row) };
  });

  router.post('/outbox/replay', allow(ADMIN_PERMISSIONS.outboxReplay), async (ctx) => {
    const status = queryParam(ctx, 'status');
    const partner = parsePartner(queryParam(ctx, 'partner'));
    const max = parseLimit(queryParam(ctx, 'max'), 100_000);
    const ids = (ctx.request.body as { ids?: unknown } | undefined)?.ids;
    if (status !== undefined && ids !== undefined) throw new WebhookError(400, 'bad_request', 'give either ?status=dead or a body {"ids": [...]}, not both');
    if (ids !== undefined) {
      if (partner !== undefined || max !== undefined) throw new WebhookError(400, 'bad_request', 'partner and max apply to a replay by status only');
      ctx.body = await outbox.replay(ids as number[]);
      return;
    }
    if (status !== 'dead') throw new WebhookError(400, 'bad_request', 'replay by status needs ?status=dead (or a body {"ids": [...]})');
    // Stops after the current batch if the caller hangs up: a replay of millions must be interruptible.
    // With ?max=N it stops after one batch of N and says how many are left, so a page can show progress.
    const stop = new AbortController();
    const onClose = () => {
      if (!ctx.res.writableEnded) stop.abort();
    };
    let reports = 0;
    const onProgress = max === undefined ? undefined : () => {
      reports += 1;
      if (reports > 1) stop.abort();
    };
    ctx.req.socket.once('close', onClose);
    try {
      const run = await outbox.replayWhere({ status: 'dead', partner }, { signal: stop.signal, batchSize: max, onProgress });
      ctx.body = max === undefined ? run : { ...run, remaining: await countOutboxRows(deps.knex, { status: 'dead', partner }) };
    } finally {
      ctx.req.socket.off('close', onClose);
    }
  });

  router.post('/outbox/:id/replay', allow(ADMIN_PERMISSIONS.outboxReplay), async (ctx) => {
    const id = parseId(ctx.params.id);
    const result = await outbox.replay([id]);
    const skipped = result.skipped[0];
    if (skipped?.reason === 'not found') throw new WebhookError(404, 'not_found', `no outbox row ${id}`);
    if (skipped) throw new WebhookError(409, 'conflict', `outbox row ${id} was not replayed: ${skipped.reason}`);
    ctx.body = result;
  });

  router.get('/figures', allow(ADMIN_PERMISSIONS.figuresRead), async (ctx) => {
    ctx.body = { ...deps.minuteFigures(), backlog: await deps.backlog(), alerts: deps.firingAlerts() };
  });

  return router;
}

/** The admin routes' one error mapping: refusals as the contract's {error, message}, never a stack or SQL. */
function answerErrors(deps: AdminRoutesDeps) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (error) {
      sendError(ctx, toWebhookError(error, deps));
    }
  };
}

function toWebhookError(error: unknown, deps: AdminRoutesDeps): WebhookError {
  if (error instanceof WebhookError) return error;
  const status = (error as { status?: unknown; expose?: unknown } | null)?.status;
  // koa-bodyparser's refusals: malformed JSON (400), body over jsonLimit (413).
  if (status === 413) return new WebhookError(413, 'payload_too_large', 'the request body is too large');
  if (typeof status === 'number' && status >= 400 && status < 500) return new WebhookError(400, 'bad_request', 'the request body is not valid JSON');
  if (deps.dialect.isUnavailable(error)) {
    return new WebhookError(503, 'store_unavailable', 'the database is unavailable; retry later', { retryAfterSeconds: deps.retryAfterSeconds, cause: error });
  }
  deps.logger.error({ err: loggableError(error) }, 'admin route failed');
  return new WebhookError(500, 'internal_error', 'internal error', { cause: error });
}
