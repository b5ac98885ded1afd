import type { Context, Next } from 'koa';
import { WebhookError } from '../errors.js';
import type { Logger } from '../types.js';
import { sendError } from './error-response.js';
import { loggableError } from '../observe/loggable-error.js';

/**
 * The permissions the admin routes need, listed in plugin.manifest.json. Before calling the host's
 * `authorize(ctx)`, the route puts the one it needs on `ctx.state.webhooksPermission`, so a host can
 * map it onto its own roles: `authorize: (ctx) => ctx.state.user?.can(ctx.state.webhooksPermission)`.
 */
export const ADMIN_PERMISSIONS = Object.freeze({
  page: 'webhooks.admin.page',
  partnersRead: 'webhooks.partners.read',
  partnersWrite: 'webhooks.partners.write',
  figuresRead: 'webhooks.figures.read',
  outboxRead: 'webhooks.outbox.read',
  outboxReplay: 'webhooks.outbox.replay',
  observeRead: 'webhooks.observe.read',
});

export type AdminPermission = (typeof ADMIN_PERMISSIONS)[keyof typeof ADMIN_PERMISSIONS];

export const PERMISSION_DESCRIPTIONS: Readonly<Record<AdminPermission, string>> = Object.freeze({
  'webhooks.admin.page': 'Load the admin page itself (HTML, script, styles; no data): GET /_admin/.',
  'webhooks.partners.read': 'List partners and their settings (never their secrets): GET /_admin/partners, GET /_admin/partners/:slug, GET /_admin/schemes.',
  'webhooks.partners.write': 'Add partners (the new secret is answered once), enable, disable, rotate and retire secrets, edit settings: POST /_admin/partners...',
  'webhooks.figures.read': 'Per-minute figures of the last hour, backlog and firing alerts: GET /_admin/figures.',
  'webhooks.outbox.read': 'List and show outbox rows, payloads included: GET /_admin/outbox, GET /_admin/outbox/:id.',
  'webhooks.outbox.replay': 'Replay dead or scheduled outbox rows: POST /_admin/outbox/:id/replay, POST /_admin/outbox/replay.',
  'webhooks.observe.read': 'Read GET /_health and GET /_metrics, when the authorizeHealthAndMetrics option is on.',
});

export type Authorize = (ctx: Context) => boolean | Promise<boolean>;

/**
 * Lets a request through only when the host's authorize(ctx) returns (or resolves to) exactly true.
 * No authorize option, false, anything else, or a throw: 401. Failing closed matters more here than
 * a helpful answer; the thrown error is logged for the host's developers.
 */
export function requirePermission(permission: AdminPermission, authorize: Authorize | undefined, logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.state.webhooksPermission = permission;
    let allowed = false;
    if (authorize) {
      try {
        allowed = (await authorize(ctx)) === true;
      } catch (error) {
        logger.warn({ err: loggableError(error), permission }, 'authorize threw; answering 401');
      }
    }
    if (!allowed) {
      sendError(ctx, new WebhookError(401, 'unauthorized', `this route needs the ${permission} permission`));
      return;
    }
    await next();
  };
}
