import type { RouterContext } from '@koa/router';
import type { HealthReport } from '../observe/health.js';

/** GET /_health: 200 only when status is ok, so a load balancer or probe needs no JSON parsing. */
export function healthRoute(check: () => Promise<HealthReport>) {
  return async (ctx: RouterContext): Promise<void> => {
    const report = await check();
    ctx.status = report.status === 'ok' ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = report;
  };
}
