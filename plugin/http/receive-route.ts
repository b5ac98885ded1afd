import type { RouterContext } from '@koa/router';
import type { Telemetry } from '../observe/telemetry.js';
import type { Receiver } from '../ingest/receiver.js';
import type { Clock, Logger } from '../types.js';
import { errorResponse, outcomeOf, sendError } from './error-response.js';

export interface ReceiveRouteDeps {
  receiver: Receiver;
  telemetry: Telemetry;
  logger: Logger;
  clock: Clock;
}

/** Koa adapter of the receive path: one structured log line per refusal, never a body or signature. */
export function receiveRoute(deps: ReceiveRouteDeps) {
  return async (ctx: RouterContext): Promise<void> => {
    const started = deps.clock.now();
    const slug = ctx.params.partner ?? '';
    try {
      const result = await deps.receiver({
        slug,
        headers: ctx.req.headers,
        headerCount: ctx.req.rawHeaders.length / 2,
        body: ctx.req,
        socketAddress: ctx.req.socket.remoteAddress,
      });
      ctx.status = result.status;
      ctx.body = result.body;
      deps.telemetry.request(result.partner, result.body.status, (deps.clock.now() - started) / 1000);
    } catch (caught) {
      const error = errorResponse(caught);
      sendError(ctx, error);
      // Unknown slugs are attacker-controlled: never a label, or metrics grow without bound.
      const partnerLabel = error.code === 'unknown_partner' ? '(unknown)' : slug;
      deps.telemetry.request(partnerLabel, outcomeOf(error), (deps.clock.now() - started) / 1000);
      // Shed while the host is busy: a line per refusal would add to the load (the guard logs each episode).
      if (error.code === 'host_busy') return;
      const fields = { partner: slug.slice(0, 64), status: error.status, reason: error.code };
      if (error.status >= 500) deps.logger.error({ ...fields, err: error.cause ?? error }, 'webhook request failed');
      else deps.logger.warn(fields, 'webhook request refused');
    }
  };
}
