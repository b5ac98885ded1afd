import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { decodeForScheme } from '../bodies/decode-body.js';
import { StoreUnavailableError, WebhookError } from '../errors.js';
import type { ActivePartner, PartnerDirectory } from '../partners/partner-directory.js';
import { isValidSlug } from '../partners/slug.js';
import type { Handshake, HandshakeReply } from '../providers/handshakes/index.js';
import type { Settings } from '../settings.js';
import { locateEvent } from '../signatures/event-locator.js';
import type { Clock } from '../types.js';
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
  body: { status: 'accepted' | 'duplicate'; id: string };
  partner: string;
  eventId: string;
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
  async function persistInTime(event: Parameters<EventCommitter>[0]): Promise<Awaited<ReturnType<EventCommitter>>> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(retryLater('store_unavailable', 'the event could not be stored in time; retry later', new StoreUnavailableError(`commit not done within ${limits.commitTimeoutMs} ms`))),
      limits.commitTimeoutMs,
    );
    try {
      return await deps.persist(event, controller.signal);
    } finally {
      clearTimeout(timer);
    }
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
    const located = locateEvent(partner.scheme, request.headers, body.value, overrides);
    assertPlainNumericId(located.id, body.text, (marked) => locateEvent(partner.scheme, request.headers, marked, overrides).id);
    const eventId = normalizeEventId(located.id);
    const eventType = normalizeEventType(located.type);
    const ordering = readOrderFields(partner.settings, request.headers, body.value);
    if (ordering.unreadable) deps.onUnordered?.(partner.slug, ordering.unreadable);
    let result;
    try {
      result = await persistInTime({
        partner: partner.slug,
        eventId,
        eventType,
        payload: body.text,
        headers: JSON.stringify(storedHeaders(request.headers, partner.scheme)),
        bodySha256: bodyHashFor(partner.scheme, partner.settings, rawBody),
        order: ordering.order,
      });
    } catch (error) {
      if (error instanceof WebhookError) throw error;
      throw new WebhookError(503, 'store_unavailable', 'the event could not be stored; retry later', {
        retryAfterSeconds: limits.retryAfterSeconds,
        cause: error instanceof StoreUnavailableError ? error : new StoreUnavailableError('commit failed', { cause: error }),
      });
    }
    const accepted = result.outcome === 'accepted';
    return { status: accepted ? 202 : 200, body: { status: result.outcome, id: result.eventId }, partner: partner.slug, eventId: result.eventId };
  };
}

export type Receiver = ReturnType<typeof createReceiver>;
