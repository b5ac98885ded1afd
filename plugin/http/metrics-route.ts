import type { RouterContext } from '@koa/router';
import type { Registry } from 'prom-client';

/** GET /_metrics: the registry in Prometheus text format (the host's registry when it passed one). */
export function metricsRoute(registry: Registry) {
  return async (ctx: RouterContext): Promise<void> => {
    const text = await registry.metrics();
    ctx.status = 200;
    ctx.set('Content-Type', registry.contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = text;
  };
}
