import { randomBytes, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';

export const DEMO_SESSION_COOKIE = 'crm_demo_admin';

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function demoAdminToken(fromEnv: string | undefined): string {
  return fromEnv && fromEnv.length >= 16 ? fromEnv : randomBytes(18).toString('base64url');
}

/**
 * The demo CRM's stand-in for a real login: one token printed at start. A browser opens
 * /crm/login?token=... once and gets a session cookie, as a CRM session would; scripts send
 * `Authorization: Bearer <token>`. The cookie is what makes the plugin's CSRF guard matter.
 */
export function demoAdmin(token: string) {
  return {
    authorize(ctx: Context): boolean {
      const bearer = /^Bearer (.+)$/.exec(ctx.get('Authorization'))?.[1];
      const cookie = ctx.cookies.get(DEMO_SESSION_COOKIE);
      return (bearer !== undefined && same(bearer, token)) || (cookie !== undefined && same(cookie, token));
    },
    registerLogin(router: Router, pagePath: string): void {
      router.get('/crm/login', (ctx) => {
        const given = typeof ctx.query.token === 'string' ? ctx.query.token : '';
        if (!same(given, token)) {
          ctx.status = 401;
          ctx.body = { error: 'unauthorized', message: 'wrong or missing token: use the link printed at start' };
          return;
        }
        ctx.cookies.set(DEMO_SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/', overwrite: true });
        ctx.redirect(pagePath);
      });
    },
  };
}
