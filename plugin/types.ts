import type { Knex } from 'knex';

/** Milliseconds since the epoch. Injected so tolerance, backoff and leases can be tested with fake time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

type LogFn = {
  (obj: object, msg?: string): void;
  (msg: string): void;
};

/** The subset of pino's interface the plugin uses, so a host can pass its own pino (or anything alike). */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

export type { SchemeName } from './signatures/registry.js';

export type OutboxStatus = 'pending' | 'processing' | 'done' | 'dead';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'processing', 'done', 'dead'];

/**
 * One accepted event as a handler sees it. `Payload` is what the handler expects the body to hold
 * (`on<ContactUpdated>('contact.updated', ...)`): a claim made by the handler's author, not checked
 * at run time; validate the body yourself where a partner might send something else.
 */
export interface WebhookEvent<Payload = unknown> {
  /** The row's id in `webhook_outbox`. */
  outboxId: number;
  partner: string;
  /** The partner's event id (the dedupe key together with `partner`). */
  id: string;
  type: string | null;
  /** The body decoded: JSON parsed, a form as an object (repeated keys as arrays), XML parsed; for one item of a batched body, that item. */
  payload: Payload;
  /** The body exactly as the partner sent it; for one item of a batched body, that item as JSON text. */
  rawBody: string;
  receivedAt: Date;
  /** 1 on the first try, 2 on the first retry, and so on. */
  attempt: number;
}

export interface HandlerContext {
  /** Writes made through this transaction commit together with the event's `done` mark, or not at all. */
  trx: Knex.Transaction;
  logger: Logger;
  /** `<partner>:<event id>`: send it to other services so a retried attempt does not repeat their effect. */
  idempotencyKey: string;
  /** Aborted when the handler runs past its timeout or the plugin stops: pass it to fetch and the like. */
  signal: AbortSignal;
  /**
   * True when a newer version of the event's record was already applied (ordered partners, issue 12).
   * Only handlers registered with `{ stale: 'call' }` ever see it true; the others are not called.
   */
  stale: boolean;
}

export type Handler<Payload = unknown> = (event: WebhookEvent<Payload>, context: HandlerContext) => unknown;

export interface HandlerOptions {
  /** For ordered partners: `skip` (default) leaves stale events out; `call` calls this handler with `context.stale = true`. */
  stale?: 'skip' | 'call';
}

/** What `onAlert` receives: once when a condition starts (`firing`) and once when it ends (`resolved`). */
export interface Alert {
  name: 'oldest_pending_age' | 'dead_rows_added' | 'failure_ratio' | 'oldest_blocked_key';
  state: 'firing' | 'resolved';
  value: number;
  threshold: number;
  message: string;
}
