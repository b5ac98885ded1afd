import { readFile } from 'node:fs/promises';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { ADMIN_PERMISSIONS, type requirePermission } from './admin-auth.js';

type Allow = (permission: Parameters<typeof requirePermission>[0]) => ReturnType<typeof requirePermission>;

/** The built page (plugin/admin-page, compiled into dist/plugin/admin-page by `npm run build`). */
const PAGE_DIR = new URL('../admin-page/', import.meta.url);

/** The page's files by extension; a name is one plain path segment, so nothing outside the folder is reachable. */
const TYPES: Readonly<Record<string, string>> = Object.freeze({
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
});
const ASSET_NAME = /^[a-z0-9-]{1,64}\.(js|css|svg)$/;

/**
 * The page's policy: its own script and styles only, no inline code, no framing, no other origin.
 * The page builds every element with DOM calls (no innerHTML), so data never becomes markup.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * GET /_admin/ serves the page's HTML and GET /_admin/assets/<file> its script and styles, behind
 * authorize like every admin route: without it a visitor gets the 401 JSON, not even the empty shell.
 * The HTML holds no data; the page fetches everything from the JSON admin API.
 */
export function registerPageRoutes(router: Router, allow: Allow, pageDir: URL = PAGE_DIR): void {
  const cache = new Map<string, Buffer>();
  const load = async (file: string): Promise<Buffer | undefined> => {
    let content = cache.get(file);
    if (!content) {
      try {
        content = await readFile(new URL(file, pageDir));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      cache.set(file, content);
    }
    return content;
  };
  const notFound = (ctx: Context, what: string) => {
    ctx.status = 404;
    ctx.body = { error: 'not_found', message: what };
  };
  const secure = (ctx: Context) => {
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
  };

  router.get('/', allow(ADMIN_PERMISSIONS.page), async (ctx) => {
    // Without the trailing slash, the page's relative asset URLs would resolve one level up.
    if (!ctx.originalUrl.split('?')[0]!.endsWith('/')) {
      ctx.redirect(`${ctx.originalUrl.split('?')[0]!}/`);
      return;
    }
    const html = await load('index.html');
    if (!html) return notFound(ctx, 'the admin page is not built: run npm run build');
    secure(ctx);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
  });

  router.get('/assets/:file', allow(ADMIN_PERMISSIONS.page), async (ctx) => {
    const file = ctx.params.file ?? '';
    const match = ASSET_NAME.exec(file);
    const content = match ? await load(file) : undefined;
    if (!match || !content) return notFound(ctx, 'no such asset');
    secure(ctx);
    ctx.type = TYPES[match[1]!]!;
    ctx.body = content;
  });
}
