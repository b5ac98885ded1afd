import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'koa';

/** koa-body's key for the raw text when `includeUnparsed: true` (its README: Symbol.for('unparsedBody')). */
const KOA_BODY_UNPARSED = Symbol.for('unparsedBody');

/**
 * Why an event cannot be verified when a host's body parser ran first and kept no copy: what the
 * host's developer has to change, written once here so the log line and the README agree.
 */
export const RAW_BODY_HINT =
  'the request body was read by a body parser before the webhooks plugin and no raw copy was kept, so no signature can be checked: ' +
  'put webhooks.koaMiddleware() before the body parser (Strapi: "global::webhooks" before "strapi::body" in config/middlewares), ' +
  'or have the parser keep the raw bytes (koa-bodyparser keeps ctx.request.rawBody; koa-body needs includeUnparsed: true; ' +
  'Express: express.json({ verify: (req, res, buf) => { req.rawBody = buf } }) or mount the handler before express.json())';

/**
 * Where the receive path reads the body from. `stream`: nobody touched the request, read it (the
 * limits apply as the bytes arrive). `kept`: a parser consumed the stream but kept the raw bytes.
 * `missing`: consumed and nothing kept; the event must be refused.
 */
export type RawBodySource = { kind: 'stream'; body: Readable } | { kind: 'kept'; body: Readable } | { kind: 'missing' };

export function rawBodySource(ctx: Context): RawBodySource {
  const req = ctx.req;
  if (!consumed(req)) return { kind: 'stream', body: req };
  const kept = keptBytes(ctx);
  return kept === null ? { kind: 'missing' } : { kind: 'kept', body: Readable.from([kept]) };
}

function consumed(req: IncomingMessage): boolean {
  // body-parser (Express) marks a request it has read with `_body`; any reader leaves readableDidRead.
  return req.readableEnded || req.readableDidRead || (req as { _body?: unknown })._body === true;
}

/**
 * The raw bytes a parser kept. Strings are what koa-bodyparser and koa-body keep: they decoded the
 * bytes as UTF-8 (as JSON must be), so re-encoding gives back the signed bytes for a UTF-8 body.
 */
function keptBytes(ctx: Context): Buffer | null {
  const request = ctx.request as { rawBody?: unknown; body?: unknown };
  const req = ctx.req as IncomingMessage & { rawBody?: unknown; body?: unknown };
  const parsed = request.body;
  const unparsed = typeof parsed === 'object' && parsed !== null ? (parsed as Record<symbol, unknown>)[KOA_BODY_UNPARSED] : undefined;
  for (const candidate of [request.rawBody, unparsed, req.rawBody, req.body]) {
    if (Buffer.isBuffer(candidate)) return candidate; // express.raw() leaves a Buffer in req.body
    if (typeof candidate === 'string') return Buffer.from(candidate, 'utf8');
  }
  return null;
}
