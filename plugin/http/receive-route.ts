import type { RouterContext } from '@koa/router';
import { WebhookError } from '../errors.js';
import { hostClientAddress } from '../host/client-address.js';
import { RAW_BODY_HINT, rawBodySource } from '../host/raw-body-source.js';
import type { Telemetry } from '../observe/telemetry.js';
import type { Receiver } from '../ingest/receiver.js';
import type { HandshakeReply } from '../providers/handshakes/index.js';
import type { Clock, Logger } from '../types.js';
import { errorResponse, outcomeOf, sendError } from './error-response.js';
import { loggableError } from '../observe/loggable-error.js';

export interface ReceiveRouteDeps {
  receiver: Receiver;
  telemetry: Telemetry;
  logger: Logger;
  clock: Clock;
  /** No `receive.trustedProxies` given: believe the client address the host's own proxy setting gives. */
  followHostProxy: boolean;
  retryAfterSeconds: number;
}

/** Koa adapter of the receive path: one structured log line per refusal, never a body or signature. */
export function receiveRoute(deps: ReceiveRouteDeps) {
  return async (ctx: RouterContext): Promise<void> => {
    const started = deps.clock.now();
    const slug = ctx.params.partner ?? '';
    try {
      const source = rawBodySource(ctx);
      if (source.kind === 'missing') {
        // A host misconfiguration, not the partner's fault: 503 makes the partner retry after the fix.
        throw new WebhookError(503, 'raw_body_unavailable', 'this event cannot be verified right now; retry later', {
          retryAfterSeconds: deps.retryAfterSeconds,
          cause: new Error(RAW_BODY_HINT),
        });
      }
      const result = await deps.receiver({
        slug,
        headers: ctx.req.headers,
        headerCount: ctx.req.rawHeaders.length / 2,
        body: source.body,
        socketAddress: deps.followHostProxy ? hostClientAddress(ctx) : ctx.req.socket.remoteAddress,
        method: ctx.method,
        query: ctx.querystring,
      });
      if ('handshake' in result) {
        // Not an event: no request metric either, so handshakes never count as accepted or refused.
        sendHandshake(ctx, result.handshake);
        return;
      }
      if (result.answer) {
        // The provider's own success document (Salesforce's SOAP Ack, TwiML), for new and duplicate events alike.
        ctx.status = result.answer.status;
        ctx.type = result.answer.contentType;
        ctx.body = result.answer.body;
      } else {
        ctx.status = result.status;
        ctx.body = result.body;
      }
      deps.telemetry.request(result.partner, result.body.status, (deps.clock.now() - started) / 1000);
    } catch (caught) {
      const error = errorResponse(caught);
      sendError(ctx, error);
      if (error.status === 405) ctx.set('Allow', 'POST');
      // Unknown slugs are attacker-controlled: never a label, or metrics grow without bound.
      const partnerLabel = error.code === 'unknown_partner' ? '(unknown)' : slug;
      deps.telemetry.request(partnerLabel, outcomeOf(error), (deps.clock.now() - started) / 1000);
      // Shed while the host is busy: a line per refusal would add to the load (the guard logs each episode).
      if (error.code === 'host_busy') return;
      const fields = { partner: slug.slice(0, 64), status: error.status, reason: error.code };
      if (error.status >= 500) deps.logger.error({ ...fields, err: loggableError(error.cause ?? error) }, 'webhook request failed');
      else deps.logger.warn(fields, 'webhook request refused');
    }
  };
}

function sendHandshake(ctx: RouterContext, reply: HandshakeReply): void {
  ctx.status = reply.status;
  // Echoed tokens come from the query: never let a browser sniff them into HTML.
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (reply.type === 'text') ctx.type = 'text/plain; charset=utf-8';
  ctx.body = reply.body;
}
