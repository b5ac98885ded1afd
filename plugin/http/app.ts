import Koa from 'koa';
import Router, { type RouterMiddleware } from '@koa/router';
import { WebhookError } from '../errors.js';
import { sendError } from './error-response.js';

export interface AppRoutes {
  receive: RouterMiddleware;
  health?: RouterMiddleware;
  metrics?: RouterMiddleware;
  admin?: Router;
}

/**
 * The Koa sub-app the host mounts at /plugins/webhooks. Mounted, it runs on the host's context, so
 * it answers every error itself instead of relying on its own `app.on('error')`.
 */
export function createApp(routes: AppRoutes): Koa {
  const app = new Koa();
  const router = new Router();
  if (routes.health) router.get('/_health', routes.health);
  if (routes.metrics) router.get('/_metrics', routes.metrics);
  if (routes.admin) router.use('/_admin', routes.admin.routes(), routes.admin.allowedMethods());
  router.post('/:partner', routes.receive);

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // Reaches here only from routing itself (e.g. a malformed %-escape in the path).
      const status = (error as { status?: unknown }).status;
      sendError(ctx, typeof status === 'number' && status >= 400 && status < 500
        ? new WebhookError(404, 'not_found', 'no such route')
        : new WebhookError(500, 'internal_error', 'internal error', { cause: error }));
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  app.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined) sendError(ctx, new WebhookError(404, 'not_found', 'no such route'));
  });
  return app;
}
