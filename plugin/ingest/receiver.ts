import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { StoreUnavailableError, WebhookError } from '../errors.js';
import type { ActivePartner, PartnerDirectory } from '../partners/partner-directory.js';
import { isValidSlug } from '../partners/slug.js';
import type { Settings } from '../settings.js';
import { locateEvent } from '../signatures/event-locator.js';
import type { Clock } from '../types.js';
import { readRawBody } from './body-reader.js';
import { checkContentType } from './content-type.js';
import { clientIp, inCidrs, parseCidrs } from './client-ip.js';
import { normalizeEventId, normalizeEventType } from './event-fields.js';
import { parseJsonBody } from './json-body.js';
import { readOrderFields } from './order-fields.js';
import type { Persist } from './persist.js';
import type { RateLimiter } from './rate-limiter.js';
import { storedHeaders } from './stored-headers.js';

export interface ReceiveRequest {
  slug: string;
  headers: IncomingHttpHeaders;
  /** Number of raw header lines' names (Node's rawHeaders.length / 2). */
  headerCount: number;
  body: Readable;
  socketAddress: string | undefined;
}

export interface ReceiveResult {
  status: 200 | 202;
  body: { status: 'accepted' | 'duplicate'; id: string };
  partner: string;
  eventId: string;
}

export interface ReceiverDeps {
  directory: PartnerDirectory;
  persist: Persist;
  rateLimiter: RateLimiter;
  clock: Clock;
  receive: Settings['receive'];
  /** Issue 12: an ordered partner's event whose key or version could not be read (it runs unordered). */
  onUnordered?: (partner: string, field: 'key' | 'version') => void;
}

/**
 * The receive path without Koa: each check in CONTRACT.md's order of precedence (404, 403, 429,
 * 415, 413, 401, 400, 503), so the first refusal that applies is the one answered. Throws a
 * WebhookError for every refusal; resolves only once the event is committed.
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
    checkContentType(request.headers['content-type'], partner.settings.contentTypes);
    return partner;
  }

  return async function receiveEvent(request: ReceiveRequest): Promise<ReceiveResult> {
    const partner = await admit(request);
    const rawBody = await readRawBody(request.body, {
      limitBytes: limits.bodyLimitBytes,
      timeoutMs: limits.bodyTimeoutMs,
      contentLength: request.headers['content-length'],
    });
    if (partner.secretsProblem) {
      throw new WebhookError(503, 'secrets_unavailable', 'this partner cannot be verified right now; retry later', {
        retryAfterSeconds: limits.retryAfterSeconds,
        cause: partner.secretsProblem,
      });
    }
    const verdict = partner.scheme.verify({
      rawBody,
      headers: request.headers,
      secrets: partner.secrets,
      nowMs: deps.clock.now(),
      toleranceSeconds: partner.settings.toleranceSeconds ?? limits.defaultToleranceSeconds,
    });
    if (!verdict.ok) throw new WebhookError(401, verdict.code, 'the request signature could not be verified');
    if (request.headerCount > limits.maxHeaderCount) {
      throw new WebhookError(400, 'too_many_headers', `requests may carry at most ${limits.maxHeaderCount} headers`);
    }
    const body = parseJsonBody(rawBody, limits.maxJsonDepth);
    const located = locateEvent(partner.scheme, request.headers, body.value, {
      idFrom: partner.settings.idFrom,
      typeFrom: partner.settings.typeFrom,
    });
    const eventId = normalizeEventId(located.id);
    const eventType = normalizeEventType(located.type);
    const ordering = readOrderFields(partner.settings, request.headers, body.value);
    if (ordering.unreadable) deps.onUnordered?.(partner.slug, ordering.unreadable);
    let result;
    try {
      result = await deps.persist({
        partner: partner.slug,
        eventId,
        eventType,
        payload: body.text,
        headers: JSON.stringify(storedHeaders(request.headers, partner.scheme)),
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
    return { status: accepted ? 202 : 200, body: { status: result.outcome, id: eventId }, partner: partner.slug, eventId };
  };
}

export type Receiver = ReturnType<typeof createReceiver>;
