import type { Context, Next } from 'koa';
import { WebhookError } from '../errors.js';
import { ownOrigin } from './admin-endpoint.js';
import { sendError } from './error-response.js';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Cross-site request forgery guard for the admin routes (issue 9 item 7). With a cookie-based
 * `authorize`, a page on another site could make the admin's browser POST a form here, cookie
 * included. A form can only send `application/x-www-form-urlencoded`, `multipart/form-data` or
 * `text/plain`, and a cross-origin script that sets `application/json` must first pass a CORS
 * preflight, which this guard answers without granting anything. So a write needs:
 * - `Content-Type: application/json` (415 otherwise), and
 * - no `Origin`, or the request's own origin (403 otherwise); and no `Sec-Fetch-Site` saying
 *   cross-site. Scripts such as curl send no Origin and stay usable.
 * Runs before authorize on every write route, so a forged request never reaches the host's session code either.
 */
export function sameOriginJsonWrites() {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.method === 'OPTIONS') {
      // A preflight: answered, but without any Access-Control-Allow-* header, so the browser refuses
      // to send the real request.
      ctx.status = 204;
      ctx.set('Allow', 'GET, HEAD, POST');
      ctx.set('Cache-Control', 'no-store');
      return;
    }
    if (SAFE_METHODS.has(ctx.method)) return next();
    const origin = ctx.get('Origin');
    const site = ctx.get('Sec-Fetch-Site');
    if ((origin !== '' && origin !== ownOrigin(ctx)) || (site !== '' && site !== 'same-origin' && site !== 'none')) {
      sendError(ctx, new WebhookError(403, 'cross_origin', 'admin writes are accepted from the same origin only'));
      return;
    }
    const type = ctx.get('Content-Type').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      sendError(ctx, new WebhookError(415, 'unsupported_media_type', 'admin writes need Content-Type: application/json'));
      return;
    }
    await next();
  };
}
