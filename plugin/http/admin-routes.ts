import Router from '@koa/router';
import type { Context, Next } from 'koa';
import bodyParser from 'koa-bodyparser';
import { WebhookError } from '../errors.js';
import { MAX_LIST_LIMIT, type OutboxAdmin } from '../outbox/outbox-admin.js';
import type { PartnerAdmin } from '../partners/partner-admin.js';
import type { Dialect } from '../store/dialect.js';
import type { Logger } from '../types.js';
import { ADMIN_PERMISSIONS, requirePermission, type Authorize } from './admin-auth.js';
import { parseId, parseLimit, parsePartner, parseStatus, queryParam } from './admin-query.js';
import { sendError } from './error-response.js';
import { loggableError } from '../observe/loggable-error.js';

export interface AdminRoutesDeps {
  partners: Pick<PartnerAdmin, 'list'>;
  outbox: OutboxAdmin;
  authorize: Authorize | undefined;
  dialect: Dialect;
  logger: Logger;
  retryAfterSeconds: number;
}

/**
 * The admin API mounted at /_admin (JSON). Every route checks its permission through the host's
 * authorize(ctx) before anything else. Nothing here ever returns a secret: partners come from
 * PartnerAdmin's views, outbox rows carry headers already redacted on the way in.
 */
export function adminRoutes(deps: AdminRoutesDeps): Router {
  const { outbox, logger } = deps;
  const allow = (permission: Parameters<typeof requirePermission>[0]) => requirePermission(permission, deps.authorize, logger);
  // Only the id-list replay takes a body; the receive route must keep reading its raw body itself.
  const jsonBody = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', strict: true });
  const router = new Router();
  router.use(answerErrors(deps));

  router.get('/partners', allow(ADMIN_PERMISSIONS.partnersRead), async (ctx) => {
    ctx.body = { partners: await deps.partners.list() };
  });

  router.get('/outbox', allow(ADMIN_PERMISSIONS.outboxRead), async (ctx) => {
    const filter = {
      status: parseStatus(queryParam(ctx, 'status')),
      partner: parsePartner(queryParam(ctx, 'partner')),
      limit: parseLimit(queryParam(ctx, 'limit'), MAX_LIST_LIMIT),
    };
    ctx.body = { rows: await outbox.list(filter) };
  });

  router.get('/outbox/:id', allow(ADMIN_PERMISSIONS.outboxRead), async (ctx) => {
    ctx.body = await outbox.show(parseId(ctx.params.id));
  });

  router.post('/outbox/replay', allow(ADMIN_PERMISSIONS.outboxReplay), jsonBody, async (ctx) => {
    const status = queryParam(ctx, 'status');
    const partner = parsePartner(queryParam(ctx, 'partner'));
    const ids = (ctx.request.body as { ids?: unknown } | undefined)?.ids;
    if (status !== undefined && ids !== undefined) throw new WebhookError(400, 'bad_request', 'give either ?status=dead or a body {"ids": [...]}, not both');
    if (ids !== undefined) {
      if (partner !== undefined) throw new WebhookError(400, 'bad_request', 'partner filters a replay by status only');
      ctx.body = await outbox.replay(ids as number[]);
      return;
    }
    if (status !== 'dead') throw new WebhookError(400, 'bad_request', 'replay by status needs ?status=dead (or a body {"ids": [...]})');
    // Stops after the current batch if the caller hangs up: a replay of millions must be interruptible.
    const hangUp = new AbortController();
    const onClose = () => {
      if (!ctx.res.writableEnded) hangUp.abort();
    };
    ctx.req.socket.once('close', onClose);
    try {
      ctx.body = await outbox.replayWhere({ status: 'dead', partner }, { signal: hangUp.signal });
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
