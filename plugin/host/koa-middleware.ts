import type Koa from 'koa';
import type { Middleware, Next, ParameterizedContext } from 'koa';

export const DEFAULT_MOUNT_PATH = '/plugins/webhooks';

/**
 * The plugin's sub-app as one middleware of the host's Koa app, without koa-mount. Requests under
 * `mountPath` are answered by the plugin and go no further; everything else passes on untouched.
 * Put it before the host's body parser: the request stream is then still unread, so signatures are
 * checked on the bytes as they arrived. It runs on the host's own context (as koa-mount does), so
 * `ctx.app` is the host's app and its `proxy` setting applies.
 */
export function koaMiddleware(app: Koa, mountPath: string = DEFAULT_MOUNT_PATH): Middleware {
  const prefix = normalizeMountPath(mountPath);
  const run = compose(app.middleware);
  return async (ctx: ParameterizedContext, next: Next): Promise<void> => {
    const rest = strip(prefix, ctx.path);
    if (rest === null) return next();
    const original = ctx.path;
    ctx.path = rest;
    try {
      await run(ctx);
    } finally {
      ctx.path = original;
    }
  };
}

export function normalizeMountPath(mountPath: string): string {
  if (typeof mountPath !== 'string' || !mountPath.startsWith('/')) {
    throw new TypeError(`crm-webhooks: the mount path must start with "/" (got ${JSON.stringify(mountPath)})`);
  }
  return mountPath.replace(/\/+$/, '');
}

/** The path below the mount point, or null when the request is not for the plugin. */
export function strip(prefix: string, path: string): string | null {
  if (prefix === '') return path;
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : null;
}

function compose(middleware: readonly Middleware[]) {
  return (ctx: ParameterizedContext): Promise<void> => {
    const dispatch = async (i: number): Promise<void> => {
      const step = middleware[i];
      if (step) await step(ctx, () => dispatch(i + 1));
    };
    return dispatch(0);
  };
}
