import type { Knex } from 'knex';
import { decodeStoredPayload } from '../bodies/payload-format.js';
import type { ClaimedEvent } from '../store/claims.js';
import type { Handler, Logger, WebhookEvent } from '../types.js';
import { HandlerTimeoutError, StoppingError } from './errors.js';

/**
 * The handler's view of an event; the payload is decoded on first use (many handlers never read it),
 * as its stored format says: JSON, a form as an object, XML parsed.
 */
export function toWebhookEvent(event: ClaimedEvent): WebhookEvent {
  let parsed: { value: unknown } | undefined;
  return {
    outboxId: event.outboxId,
    partner: event.partner,
    id: event.eventId,
    type: event.eventType,
    get payload(): unknown {
      parsed ??= { value: decodeStoredPayload(event.payload, event.payloadFormat) };
      return parsed.value;
    },
    rawBody: event.payload,
    receivedAt: new Date(event.receivedAtMs),
    attempt: event.attempt,
  };
}

/**
 * Runs an event's handlers in order on `trx`, racing the handler timeout and the plugin's stop.
 * When either wins, the handlers' signal is aborted and this rejects at once, without waiting for a
 * handler that ignores its signal: the caller rolls the transaction back, which makes any later
 * query of that handler fail instead of committing.
 */
export async function runHandlers(
  trx: Knex.Transaction,
  handlers: readonly Handler[],
  event: ClaimedEvent,
  logger: Logger,
  limits: { timeoutMs: number; stopSignal: AbortSignal; onFinished?: (ms: number) => void; stale?: boolean },
): Promise<void> {
  if (limits.stopSignal.aborted) throw new StoppingError(false);
  // The handlers' signal is made only if a handler reads it: most never do, and an AbortController
  // per event was a measurable part of processing's CPU. One read after an interrupt is aborted.
  let controller: AbortController | undefined;
  let interruption: Error | undefined;
  const signal = () => {
    controller ??= new AbortController();
    if (interruption && !controller.signal.aborted) controller.abort(interruption);
    return controller.signal;
  };
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    const interrupt = (error: Error) => {
      interruption ??= error;
      controller?.abort(error);
      reject(error);
    };
    timer = setTimeout(() => interrupt(new HandlerTimeoutError(limits.timeoutMs)), limits.timeoutMs);
    onStop = () => interrupt(new StoppingError());
    if (limits.stopSignal.aborted) onStop();
    else limits.stopSignal.addEventListener('abort', onStop, { once: true });
  });
  interrupted.catch(() => undefined);
  try {
    const webhookEvent = toWebhookEvent(event);
    const context = {
      trx,
      logger,
      idempotencyKey: `${event.partner}:${event.eventId}`,
      stale: limits.stale === true,
      get signal() {
        return signal();
      },
    };
    const started = performance.now();
    await Promise.race([
      (async () => {
        for (const handler of handlers) await handler(webhookEvent, context);
      })(),
      interrupted,
    ]);
    limits.onFinished?.(performance.now() - started);
  } finally {
    clearTimeout(timer);
    if (onStop) limits.stopSignal.removeEventListener('abort', onStop);
  }
}
