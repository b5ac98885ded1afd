import type { IncomingMessage, ServerResponse } from 'node:http';
import type Koa from 'koa';
import { normalizeMountPath, strip } from './koa-middleware.js';

export interface NodeHandlerOptions {
  /**
   * Answer only requests under this path, and pass others to `next` (or answer 404). Leave it out
   * where the host routes by prefix itself and strips it, as Express's `app.use(path, handler)` does.
   */
  mountPath?: string;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/**
 * The plugin as a plain Node `(req, res)` handler for Express, Fastify (with `reply.hijack()`)
 * and `http.createServer`. Put it before any JSON body parser, or have the parser keep the raw bytes.
 */
export function nodeHandler(app: Koa, options: NodeHandlerOptions = {}): NodeHandler {
  const callback = app.callback();
  const prefix = options.mountPath === undefined ? null : normalizeMountPath(options.mountPath);
  return (req, res, next) => {
    if (prefix !== null) {
      const url = new URL(req.url ?? '/', 'http://host');
      const rest = strip(prefix, url.pathname);
      if (rest === null) {
        if (next) return next();
        res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: 'not_found', message: 'no such route' }));
        return;
      }
      req.url = `${rest}${url.search}`;
    }
    void callback(req, res);
  };
}
