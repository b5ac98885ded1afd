import type { Context } from 'koa';
import { WebhookError } from '../errors.js';
import type { RequestOutcome } from '../observe/telemetry.js';

/** The contract's error body for a refusal; anything that is not a WebhookError is a 500 with no detail. */
export function errorResponse(error: unknown): WebhookError {
  if (error instanceof WebhookError) return error;
  return new WebhookError(500, 'internal_error', 'internal error', { cause: error });
}

/** Writes a WebhookError as the contract's `{error, message}` body, with Retry-After and Connection. */
export function sendError(ctx: Context, error: WebhookError): void {
  ctx.status = error.status;
  ctx.body = { error: error.code, message: error.message };
  if (error.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(error.retryAfterSeconds));
  // A refusal decided before the body arrived (404, 403, 429, 415) closes the connection too:
  // keeping it alive made Node read and discard the rest of the body, whatever its size.
  if (error.closeConnection || !ctx.req.complete) {
    ctx.set('Connection', 'close');
    closeAfterResponse(ctx);
  }
}

const LINGER_MS = 1000;

/**
 * After a refusal sent before the body was read (413, 408, or any refusal while the body is still
 * arriving), the socket is closed: the rest of the body is never processed. Node drains what keeps
 * arriving while the response flushes; closing at once would reset the connection and could
 * destroy the response in the client's buffer, so the socket gets a short linger, then is
 * destroyed if the client is still sending.
 */
function closeAfterResponse(ctx: Context): void {
  const { req, res } = ctx;
  res.once('finish', () => {
    if (req.complete) return;
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
    timer.unref();
    req.socket.once('close', () => clearTimeout(timer));
  });
}

export function outcomeOf(error: WebhookError): RequestOutcome {
  switch (error.status) {
    case 404:
      return 'unknown_partner';
    case 403:
      return error.code === 'ip_not_allowed' ? 'ip_not_allowed' : 'partner_disabled';
    case 429:
      return 'rate_limited';
    case 415:
      return 'unsupported_media_type';
    case 413:
      return 'payload_too_large';
    case 408:
      return 'request_timeout';
    case 401:
      return 'unauthorized';
    case 400:
      return 'bad_request';
    case 503:
      return error.code === 'host_busy' ? 'host_busy' : 'store_unavailable';
    default:
      return 'internal_error';
  }
}
