import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import { WebhookError } from '../errors.js';
import type { MinuteSeries } from '../observe/minute-figures.js';
import type { PartnerAdmin, PartnerView } from '../partners/partner-admin.js';
import { SCHEME_NAMES } from '../signatures/index.js';
import type { Dialect } from '../store/dialect.js';
import { lastReceivedByPartner } from '../store/outbox-page.js';
import { fromDbTime } from '../store/time.js';
import type { Clock } from '../types.js';
import { ADMIN_PERMISSIONS, type requirePermission } from './admin-auth.js';
import { endpointUrl } from './admin-endpoint.js';
import { sampleCurl } from './admin-sample-curl.js';

export interface AdminPartnerDeps {
  partners: PartnerAdmin;
  knex: Knex;
  dialect: Dialect;
  clock: Clock;
  /** This process's refusals of the last hour per partner, by reason. */
  refusals(): MinuteSeries['refusals'];
  /** The signature schemes and presets a new partner may use; data, so presets appear when added. */
  schemes(): readonly string[];
}

type Allow = (permission: Parameters<typeof requirePermission>[0]) => ReturnType<typeof requirePermission>;

const badRequest = (message: string) => new WebhookError(400, 'bad_request', message);

function jsonObject(ctx: Context): Record<string, unknown> {
  const body: unknown = ctx.request.body;
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be a string`);
  return value;
}

export const defaultSchemes = (): readonly string[] => SCHEME_NAMES;

/**
 * Partner management for the admin page and scripts: the same PartnerAdmin functions the CLI uses,
 * so validation messages are the CLI's. A secret appears in exactly two answers, the one that
 * created it (add, rotate); every other answer is a PartnerView, which has none.
 */
export function registerPartnerRoutes(router: Router, allow: Allow, deps: AdminPartnerDeps): void {
  const { partners } = deps;
  const withEndpoint = (ctx: Context, view: PartnerView) => ({ ...view, endpoint: endpointUrl(ctx, view.slug) });
  const slugOf = (ctx: Context) => String((ctx as Context & { params: Record<string, string> }).params.slug ?? '');

  router.get('/schemes', allow(ADMIN_PERMISSIONS.partnersRead), (ctx) => {
    ctx.body = { schemes: deps.schemes() };
  });

  router.get('/partners', allow(ADMIN_PERMISSIONS.partnersRead), async (ctx) => {
    const views = await partners.list();
    const last = await lastReceivedByPartner(deps.knex, deps.dialect, views.map((v) => v.slug));
    const refusals = deps.refusals();
    ctx.body = {
      partners: views.map((view) => {
        const at = last.get(view.slug);
        return { ...withEndpoint(ctx, view), lastReceivedAt: at === undefined ? null : fromDbTime(at).toISOString(), refusalsLastHour: refusals[view.slug] ?? {} };
      }),
    };
  });

  router.get('/partners/:slug', allow(ADMIN_PERMISSIONS.partnersRead), async (ctx) => {
    ctx.body = withEndpoint(ctx, await partners.show(slugOf(ctx)));
  });

  router.post('/partners', allow(ADMIN_PERMISSIONS.partnersWrite), async (ctx) => {
    const body = jsonObject(ctx);
    const slug = optionalString(body, 'slug');
    if (slug === undefined) throw badRequest('slug is required');
    const scheme = optionalString(body, 'scheme');
    if (scheme !== undefined && !deps.schemes().includes(scheme)) throw badRequest(`scheme must be one of ${deps.schemes().join(', ')}`);
    const { partner, secret, warnings } = await partners.add({ slug, scheme, secret: optionalString(body, 'secret'), settings: body.settings ?? {} });
    const endpoint = endpointUrl(ctx, partner.slug);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { partner: { ...partner, endpoint }, secret, sampleCurl: sampleCurl(endpoint, partner, secret, deps.clock.now()), warnings };
  });

  router.post('/partners/:slug/enable', allow(ADMIN_PERMISSIONS.partnersWrite), async (ctx) => {
    ctx.body = withEndpoint(ctx, await partners.setEnabled(slugOf(ctx), true));
  });

  router.post('/partners/:slug/disable', allow(ADMIN_PERMISSIONS.partnersWrite), async (ctx) => {
    ctx.body = withEndpoint(ctx, await partners.setEnabled(slugOf(ctx), false));
  });

  router.post('/partners/:slug/rotate', allow(ADMIN_PERMISSIONS.partnersWrite), async (ctx) => {
    const { partner, secret, warnings } = await partners.rotate(slugOf(ctx), optionalString(jsonObject(ctx), 'secret'));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { partner: withEndpoint(ctx, partner), secret, warnings };
  });

  router.post('/partners/:slug/retire-secrets', allow(ADMIN_PERMISSIONS.partnersWrite), async (ctx) => {
    const { partner, retired } = await partners.retireSecrets(slugOf(ctx));
    ctx.body = { partner: withEndpoint(ctx, partner), retired };
  });

  // Body {settings: {...}}: a value replaces the stored one, null removes it, an absent key stays.
  router.post('/partners/:slug/settings', allow(ADMIN_PERMISSIONS.partnersWrite), async (ctx) => {
    const patch = jsonObject(ctx).settings;
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw badRequest('settings must be a JSON object');
    if (Object.keys(patch).length === 0) throw badRequest('nothing to change: give at least one setting');
    ctx.body = withEndpoint(ctx, await partners.updateSettings(slugOf(ctx), patch as Record<string, unknown>));
  });
}
