import type { Context } from 'koa';

/**
 * The client's address as the host has decided to see it. Mounted in a Koa app with `app.proxy`
 * set, Koa's `ctx.ip` (X-Forwarded-For, bounded by `app.maxIpsCount`); behind Express, `req.ip`
 * (its `trust proxy` setting). Otherwise, the socket's peer. Used only when the plugin's own
 * `receive.trustedProxies` is empty: that setting stays the explicit override.
 */
export function hostClientAddress(ctx: Context): string | undefined {
  if (ctx.app.proxy) return ctx.ip;
  const expressRequest = ctx.req as { ip?: unknown; app?: { get?: unknown } };
  if (typeof expressRequest.ip === 'string' && typeof expressRequest.app?.get === 'function') return expressRequest.ip;
  return ctx.req.socket.remoteAddress;
}
