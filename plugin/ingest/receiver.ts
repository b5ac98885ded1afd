import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { decodeForScheme, type BodyRules, type DecodedBody } from '../bodies/decode-body.js';
import { payloadFormatOf } from '../bodies/payload-format.js';
import { StoreUnavailableError, WebhookError } from '../errors.js';
import type { ActivePartner, PartnerDirectory } from '../partners/partner-directory.js';
import { isValidSlug } from '../partners/slug.js';
import type { ProviderAnswer } from '../providers/answers.js';
import type { Handshake, HandshakeReply } from '../providers/handshakes/index.js';
import type { Settings } from '../settings.js';
import { locateEvent, type LocateOverrides } from '../signatures/event-locator.js';
import type { BatchRule } from '../signatures/types.js';
import type { InboundEvent } from '../store/outbox-insert.js';
import type { Clock } from '../types.js';
import { batchEvents } from './batch-events.js';
import { readRawBody } from './body-reader.js';
import { bodyHashFor } from './body-hash.js';
import { checkContentEncoding } from './content-encoding.js';
import { checkContentType } from './content-type.js';
import { clientIp, inCidrs, parseCidrs } from './client-ip.js';
import { normalizeEventId, normalizeEventType } from './event-fields.js';
import { assertPlainNumericId } from './numeric-id.js';
import { readOrderFields } from './order-fields.js';
import type { EventCommitter } from './commit-events.js';
import type { RateLimiter } from './rate-limiter.js';
import { storedHeaders } from './stored-headers.js';
import type { UnverifiedBytes } from './unverified-bytes.js';

export interface ReceiveRequest {
  slug: string;
  headers: IncomingHttpHeaders;
  /** Number of raw header lines' names (Node's rawHeaders.length / 2). */
  headerCount: number;
  body: Readable;
  socketAddress: string | undefined;
  /** Default POST; GET reaches here only for a preset's GET handshake. */
  method?: string;
  /** The raw query string (without `?`), read by handshakes only. */
  query?: string;
}

export interface EventResult {
  status: 200 | 202;
  /**
   * `id` is the (first) event's id. A batched body adds how many events it carried and how many of
   * them were new; the status is 202 when any was new, 200 when all were duplicates.
   */
  body: { status: 'accepted' | 'duplicate'; id: string; events?: number; accepted?: number };
  partner: string;
  eventId: string;
  /** The body the partner's provider expects instead of the JSON above (Salesforce's Ack, TwiML). */
  answer?: ProviderAnswer;
}

/** A provider's handshake, answered instead of stored: no outbox or dedupe row. */
export interface HandshakeResult {
  status: 200;
  handshake: HandshakeReply;
  partner: string;
}

export type ReceiveResult = EventResult | HandshakeResult;

export interface ReceiverDeps {
  directory: PartnerDirectory;
  persist: EventCommitter;
  rateLimiter: RateLimiter;
  unverifiedBytes: UnverifiedBytes;
  clock: Clock;
  receive: Settings['receive'];
  /** Says when the host's event loop is behind: new webhooks are then refused before their body is read. */
  loopGuard?: { busy(): boolean };
  /** Issue 12: an ordered partner's event whose key or version could not be read (it runs unordered). */
  onUnordered?: (partner: string, field: 'key' | 'version') => void;
}

/**
 * The receive path without Koa: each check in the order of precedence of docs/http.md (404, 403,
 * 429, 415, 413, 401, 400, 503, with the early 503s it lists), so the first refusal that applies is
 * the one answered. Throws a WebhookError for every refusal; resolves only once the event is committed.
 */
export function createReceiver(deps: ReceiverDeps) {
  const limits = deps.receive;
  const trustedProxies = parseCidrs(limits.trustedProxies);

  async function admit(request: ReceiveRequest): Promise<ActivePartner> {
    if (!isValidSlug(request.slug)) throw new WebhookError(404, 'unknown_partner', 'no such partner');
    let partner: ActivePartner | null;
    try {
      partner = await deps.directory.get(request.slug);
    } catch (error) {
      throw new WebhookError(503, 'store_unavailable', 'partners cannot be read right now; retry later', {
        retryAfterSeconds: limits.retryAfterSeconds,
        cause: error,
      });
    }
    if (!partner) throw new WebhookError(404, 'unknown_partner', 'no such partner');
    if (!partner.enabled) throw new WebhookError(403, 'partner_disabled', 'this partner is disabled');
    if (partner.settingsProblem) {
      // Fail closed: settings that do not read may have carried an allowlist or a rate limit.
      throw new WebhookError(503, 'partner_misconfigured', 'this partner cannot be served right now; retry later', {
        retryAfterSeconds: limits.retryAfterSeconds,
      });
    }
    const allowed = partner.allowedIps;
    const forwarded = request.headers['x-forwarded-for'];
    if (allowed && !inCidrs(clientIp(request.socketAddress, Array.isArray(forwarded) ? forwarded.join(',') : forwarded, trustedProxies), allowed)) {
      throw new WebhookError(403, 'ip_not_allowed', 'requests from this address are not allowed for this partner');
    }
    const limit = partner.settings.rateLimit;
    const wait = limit ? deps.rateLimiter.take(partner.slug, limit) : 0;
    if (wait > 0) throw new WebhookError(429, 'rate_limited', 'too many requests for this partner', { retryAfterSeconds: wait });
    return partner;
  }

  /** The checks that concern a body (415, and shedding before reading one): not for unsigned handshakes. */
  function admitBody(request: ReceiveRequest, partner: ActivePartner): void {
    checkContentType(request.headers['content-type'], partner.settings.contentTypes);
    checkContentEncoding(request.headers['content-encoding']);
    if (deps.loopGuard?.busy()) {
      throw new WebhookError(503, 'host_busy', 'the host is busy; retry later', { retryAfterSeconds: limits.retryAfterSeconds });
    }
  }

  function assertSecretsOpen(partner: ActivePartner): void {
    if (partner.secretsProblem) {
      throw new WebhookError(503, 'secrets_unavailable', 'this partner cannot be verified right now; retry later', {
        retryAfterSeconds: limits.retryAfterSeconds,
        cause: partner.secretsProblem,
      });
    }
  }

  function answerHandshake(handshake: Handshake, partner: ActivePartner, method: string, query: URLSearchParams, body: unknown): HandshakeResult | null {
    const reply = handshake.answer({ method, query, body, secrets: partner.secrets, presetSettings: partner.settings.presetSettings ?? {} });
    return reply ? { status: 200, handshake: reply, partner: partner.slug } : null;
  }

  /**
   * Handshakes the provider does not sign (Graph's validationToken, Meta's and X's GET checks) are
   * answered right after the partner checks, before any body is read; any other GET is a 405.
   */
  function unsignedHandshake(request: ReceiveRequest, partner: ActivePartner, method: string, query: URLSearchParams): HandshakeResult | null {
    const handshake = partner.handshake;
    if (handshake?.stage === 'unsigned' && handshake.method === method) {
      assertSecretsOpen(partner);
      const result = answerHandshake(handshake, partner, method, query, undefined);
      if (result) return result;
    }
    if (method !== 'POST') throw new WebhookError(405, 'method_not_allowed', `this partner does not answer ${method.slice(0, 16)}; see the Allow header`);
    admitBody(request, partner);
    return null;
  }

  const retryLater = (code: 'overloaded' | 'store_unavailable', message: string, cause?: unknown) =>
    new WebhookError(503, code, message, { retryAfterSeconds: limits.retryAfterSeconds, cause, closeConnection: code === 'overloaded' });

  /** Reads and verifies the body while it counts against the cap on unverified bytes. */
  async function readVerified(request: ReceiveRequest, partner: ActivePartner): Promise<Buffer> {
    const hold = deps.unverifiedBytes.open(partner.slug);
    try {
      const rawBody = await readRawBody(request.body, {
        limitBytes: limits.bodyLimitBytes,
        timeoutMs: limits.bodyTimeoutMs,
        contentLength: request.headers['content-length'],
        reserve: (bytes) => hold.take(bytes),
        overloaded: () => retryLater('overloaded', 'too many request bodies are being received; retry later'),
      });
      assertSecretsOpen(partner);
      const verdict = partner.scheme.verify({
        rawBody,
        headers: request.headers,
        secrets: partner.secrets,
        nowMs: deps.clock.now(),
        toleranceSeconds: partner.settings.toleranceSeconds ?? limits.defaultToleranceSeconds,
      });
      if (!verdict.ok) throw new WebhookError(401, verdict.code, 'the request signature could not be verified');
      return rawBody;
    } finally {
      // Verified bodies are bounded by ingest.maxWaitingBytes from here on; refused ones are garbage.
      hold.release();
    }
  }

  /** Commits within receive.commitTimeoutMs or answers 503: a frozen database must not hold the partner's request. */
  async function persistInTime(events: Parameters<EventCommitter>[0]): Promise<Awaited<ReturnType<EventCommitter>>> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(retryLater('store_unavailable', 'the event could not be stored in time; retry later', new StoreUnavailableError(`commit not done within ${limits.commitTimeoutMs} ms`))),
      limits.commitTimeoutMs,
    );
    try {
      return await deps.persist(events, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  type Common = Pick<InboundEvent, 'partner' | 'headers' | 'payloadFormat'>;

  function singleEvent(partner: ActivePartner, request: ReceiveRequest, body: DecodedBody, rawBody: Buffer, overrides: LocateOverrides, common: Common): InboundEvent {
    const located = locateEvent(partner.scheme, request.headers, body.value, overrides);
    assertPlainNumericId(located.id, body.text, (marked) => locateEvent(partner.scheme, request.headers, marked, overrides).id);
    const eventId = normalizeEventId(located.id);
    const eventType = normalizeEventType(located.type);
    const ordering = readOrderFields(partner.settings, request.headers, body.value);
    if (ordering.unreadable) deps.onUnordered?.(partner.slug, ordering.unreadable);
    return { ...common, eventId, eventType, payload: body.text, bodySha256: bodyHashFor(partner.scheme, partner.settings, rawBody), order: ordering.order };
  }

  /** One event per item, each stored as its own JSON, deduped (and ordered) on its own fields. */
  function eventsOfBatch(
    partner: ActivePartner,
    request: ReceiveRequest,
    rule: BatchRule,
    list: readonly unknown[],
    body: DecodedBody,
    overrides: LocateOverrides,
    common: Common,
  ): InboundEvent[] {
    return batchEvents(rule, list, request.headers, body.text, overrides).items.map((item) => {
      const ordering = readOrderFields(partner.settings, request.headers, item.value);
      if (ordering.unreadable) deps.onUnordered?.(partner.slug, ordering.unreadable);
      return {
        ...common,
        eventId: item.eventId,
        eventType: item.eventType,
        payload: item.payload,
        // Items are stored as JSON text, whatever the body was.
        payloadFormat: null,
        bodySha256: bodyHashFor(partner.scheme, partner.settings, Buffer.from(item.payload, 'utf8')),
        order: ordering.order,
      };
    });
  }

  return async function receiveEvent(request: ReceiveRequest): Promise<ReceiveResult> {
    const partner = await admit(request);
    const method = request.method ?? 'POST';
    const query = new URLSearchParams(request.query ?? '');
    const early = unsignedHandshake(request, partner, method, query);
    if (early) return early;
    const rawBody = await readVerified(request, partner);
    if (request.headerCount > limits.maxHeaderCount) {
      throw new WebhookError(400, 'too_many_headers', `requests may carry at most ${limits.maxHeaderCount} headers`);
    }
    const body = decodeForScheme(rawBody, partner.scheme, request.headers['content-type'], limits.maxJsonDepth);
    if (partner.handshake?.stage === 'signed') {
      const verified = answerHandshake(partner.handshake, partner, method, query, body.value);
      if (verified) return verified;
    }
    const overrides = { idFrom: partner.settings.idFrom, typeFrom: partner.settings.typeFrom };
    const batch = partner.scheme.batch;
    const list = batch ? batch.items(body.value) : null;
    const common = {
      partner: partner.slug,
      headers: JSON.stringify(storedHeaders(request.headers, partner.scheme)),
      payloadFormat: payloadFormatOf(body.type ?? 'json', (partner.scheme as BodyRules).jsonFields),
    };
    const events = batch && list ? eventsOfBatch(partner, request, batch, list, body, overrides, common) : [singleEvent(partner, request, body, rawBody, overrides, common)];
    let results;
    try {
      results = await persistInTime(events);
    } catch (error) {
      if (error instanceof WebhookError) throw error;
      throw new WebhookError(503, 'store_unavailable', 'the event could not be stored; retry later', {
        retryAfterSeconds: limits.retryAfterSeconds,
        cause: error instanceof StoreUnavailableError ? error : new StoreUnavailableError('commit failed', { cause: error }),
      });
    }
    const accepted = results.filter((r) => r.outcome === 'accepted').length;
    const eventId = results[0]!.eventId;
    const counts = list ? { events: list.length, accepted } : {};
    return {
      status: accepted > 0 ? 202 : 200,
      body: { status: accepted > 0 ? 'accepted' : 'duplicate', id: eventId, ...counts },
      partner: partner.slug,
      eventId,
      ...(partner.answer ? { answer: partner.answer } : {}),
    };
  };
}

export type Receiver = ReturnType<typeof createReceiver>;
