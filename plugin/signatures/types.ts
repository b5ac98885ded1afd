import type { SchemeName } from '../types.js';

/** Request headers as Node gives them: lower-case names. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface VerifyRequest {
  /** The body exactly as received; signatures are computed over these bytes. */
  rawBody: Buffer;
  headers: RequestHeaders;
  /** The partner's active secrets in plaintext, newest first; any one of them verifies. */
  secrets: readonly string[];
  /** Now, in ms since the epoch (injected: never read from Date here). */
  nowMs: number;
  /** How far a signed timestamp may be from now, both ways. */
  toleranceSeconds: number;
  /** The request's HTTP method, for schemes that sign it (default POST). */
  method?: string;
}

/**
 * Deliberately coarse: a 401 tells the sender a code, never which secret was tried or how the
 * signature differed.
 */
export type VerifyFailureCode = 'signature_missing' | 'signature_invalid' | 'timestamp_invalid';

export type Verdict = { ok: true } | { ok: false; code: VerifyFailureCode };

/** Raw values found where the scheme keeps the event id and type; validation happens elsewhere. */
export interface LocatedEvent {
  id: unknown;
  type: unknown;
}

export interface SignInput {
  secret: string;
  rawBody: Buffer | string;
  /** Event id; schemes that carry it in a header put it there. */
  id: string;
  /** Unix seconds; schemes that sign a timestamp use it. */
  timestampSeconds: number;
  /** GitHub carries the event name in a header. */
  type?: string;
}

/**
 * Issue 10 item 6: a body that carries several events (HubSpot and SendGrid arrays, Mandrill's
 * `mandrill_events`, Salesforce's notifications). Each item becomes an outbox row of its own.
 */
export interface BatchRule {
  /** The items of a decoded body, or null when this body is a single event (located by `locate`). */
  items(body: unknown): readonly unknown[] | null;
  /** Where one item keeps its id and type. */
  locate(headers: RequestHeaders, item: unknown): LocatedEvent;
  /** More items than this in one request is a 400 (`batch_too_large`). */
  readonly maxItems: number;
}

export interface SignatureScheme {
  readonly name: SchemeName;
  /** Pure: the same input always gives the same verdict. */
  verify(request: VerifyRequest): Verdict;
  /**
   * True when the signature covers the event id or a timestamp, so a captured request cannot be
   * replayed as a new event. Absent means false: the receiver then also dedupes on a hash of the
   * raw body (CONTRACT.md, docs/http.md), the safe default for a scheme or preset added later.
   */
  readonly signsIdOrTimestamp?: boolean;
  /** Where this scheme's senders put the event id and type. */
  locate(headers: RequestHeaders, body: unknown): LocatedEvent;
  /** Present when a request may carry several events. */
  readonly batch?: BatchRule;
  /** The headers a sender adds; used by the demo's curl line, the benchmarks and the tests. */
  sign(input: SignInput): Record<string, string>;
  /** A new random secret in the form the scheme expects. */
  generateSecret(): string;
  /** null when `secret` has a form this scheme can verify with, else why not (one line). */
  checkSecret(secret: string): string | null;
  /** A usable secret the admin should still hear about (too short), else null. */
  warnSecret?(secret: string): string | null;
  /** Lower-case names of the headers worth keeping with the event in the outbox. */
  readonly relevantHeaders: readonly string[];
  /** Of those, the ones whose values must be redacted before storing (signatures). */
  readonly signatureHeaders: readonly string[];
}
