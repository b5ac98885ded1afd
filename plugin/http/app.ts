import Koa from 'koa';
import Router, { type RouterMiddleware } from '@koa/router';
import { WebhookError } from '../errors.js';
import { sendError } from './error-response.js';

export interface AppRoutes {
  receive: RouterMiddleware;
  health?: RouterMiddleware;
  metrics?: RouterMiddleware;
  admin?: Router;
  /** Runs before /_health and /_metrics when the host put them behind authorize. */
  observeGuard?: RouterMiddleware;
}

/**
 * The Koa sub-app the host mounts at /plugins/webhooks. Mounted, it runs on the host's context, so
 * it answers every error itself instead of relying on its own `app.on('error')`.
 */
export function createApp(routes: AppRoutes): Koa {
  const app = new Koa();
  // Exact paths only (issue 9): `/_ADMIN` or `/_health/` is no route of ours, and never a partner either.
  const router = new Router({ sensitive: true, strict: true });
  const guard = routes.observeGuard ? [routes.observeGuard] : [];
  if (routes.health) router.get('/_health', ...guard, routes.health);
  if (routes.metrics) router.get('/_metrics', ...guard, routes.metrics);
  if (routes.admin) router.use('/_admin', routes.admin.routes(), routes.admin.allowedMethods());
  router.post('/:partner', routes.receive);
  // GET reaches the receiver for the presets' GET handshakes (Meta, X); it answers 405 for the rest.
  router.get('/:partner', routes.receive);

  app.use(async (ctx, next) => {
    try {
      await next();
      // The router's allowedMethods leaves a bare 405 with Allow (e.g. GET on a partner route).
      if (ctx.status === 405 && ctx.body === undefined) {
        sendError(ctx, new WebhookError(405, 'method_not_allowed', `this route does not answer ${ctx.method}; see the Allow header`));
      } else if (ctx.status === 404 && ctx.body === undefined) {
        sendError(ctx, new WebhookError(404, 'not_found', 'no such route'));
      }
    } catch (error) {
      // Reaches here only from routing itself (e.g. a malformed %-escape in the path).
      const status = (error as { status?: unknown }).status;
      sendError(ctx, typeof status === 'number' && status >= 400 && status < 500
        ? new WebhookError(404, 'not_found', 'no such route')
        : new WebhookError(500, 'internal_error', 'internal error', { cause: error }));
    }
  });
  app.use(async (ctx, next) => {
    // Nested routers (the admin routes) keep their own case-insensitive matching; every path of the
    // plugin's own `_` routes is lower-case, so any other spelling is no route of ours.
    if (ctx.path.startsWith('/_') && ctx.path !== ctx.path.toLowerCase()) {
      sendError(ctx, new WebhookError(404, 'not_found', 'no such route'));
      return;
    }
    await next();
  });
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  return app;
}
