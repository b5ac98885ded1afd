import type { Context } from 'koa';

/**
 * This server's own origin as the request reached it. Not `ctx.origin`: since Koa 3 that is the
 * request's Origin header, which a cross-site page controls.
 */
export function ownOrigin(ctx: Context): string {
  return `${ctx.protocol}://${ctx.host}`;
}

/**
 * The public URL of a partner's receive route, as seen by this request: the plugin may be mounted
 * anywhere, so the prefix is whatever preceded /_admin in the original URL.
 */
export function endpointUrl(ctx: Context, slug: string): string {
  const path = ctx.originalUrl.split('?')[0]!;
  const mount = path.slice(0, Math.max(0, path.lastIndexOf('/_admin')));
  return `${ownOrigin(ctx)}${mount}/${encodeURIComponent(slug)}`;
}
