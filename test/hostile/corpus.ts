import { BUILT_IN_SCHEME_NAMES, type BuiltInSchemeName as SchemeName } from '../../plugin/signatures/index.js';
import type { RawRequest } from './raw-http.js';
import { idLivesInHeader, signatureHeaders, type CorpusPartner, type HeaderLines, type SignOptions } from './signing.js';

/**
 * The hostile corpus: bad requests generated from families × variants (× signature schemes where
 * the scheme matters), each with the status the contract gives it. A few well-formed edge cases
 * (duplicate keys, depth exactly at the limit, ids of exactly 191 characters...) are mixed in with
 * status 202, so a guard that refused too much would fail the suite just as one that let too much
 * through.
 */
export interface Expectation {
  status: number;
  /** The contract's error code; absent when Node itself answers (431, malformed HTTP). */
  error?: string;
  /** For 202: the event id the answer must name. */
  id?: string;
}

export interface HostileCase {
  family: string;
  name: string;
  request: RawRequest;
  expect: Expectation;
}

export interface CorpusContext {
  mount: string;
  partners: Readonly<Record<SchemeName, CorpusPartner>>;
  disabled: CorpusPartner;
  bodyLimitBytes: number;
  maxHeaderCount: number;
  maxJsonDepth: number;
  /** A fresh event id, unique across rounds, so a repeated round never meets a duplicate. */
  uid(): string;
}

export const SCHEMES: readonly SchemeName[] = BUILT_IN_SCHEME_NAMES;

export interface EventRequest extends SignOptions {
  body: Buffer | string;
  contentType?: string | null;
  extraHeaders?: HeaderLines;
  /** Replaces the signature headers entirely (missing, garbled, forged). */
  signature?: (signed: HeaderLines) => HeaderLines;
}

/** A POST to a partner, signed for its scheme unless told otherwise. */
export function eventRequest(context: CorpusContext, partner: CorpusPartner, options: EventRequest): RawRequest {
  const body = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
  const signed = signatureHeaders(partner, body, options);
  const headers: HeaderLines = [];
  if (options.contentType !== null) headers.push(['content-type', options.contentType ?? 'application/json']);
  headers.push(...(options.signature ? options.signature(signed) : signed), ...(options.extraHeaders ?? []));
  return { path: `${context.mount}/${partner.slug}`, headers, body };
}

/** A body and header id that put `id` (and `type`) where the partner's scheme reads them. */
export function envelope(
  scheme: SchemeName,
  fields: { id: unknown; type?: unknown; extra?: Record<string, unknown> },
): { body: string; headerId?: string; type?: string } {
  if (idLivesInHeader(scheme)) {
    // The id rides in a header, so the body carries it too: two events of a scheme that signs only
    // the body must not share a body, or the second is a replay (body-hash dedupe, issue 9).
    const body = JSON.stringify({ ...(fields.type === undefined || scheme === 'github' ? {} : { type: fields.type }), ref: String(fields.id), ...fields.extra });
    return {
      body,
      headerId: String(fields.id),
      ...(scheme === 'github' && typeof fields.type === 'string' ? { type: fields.type } : {}),
    };
  }
  return { body: JSON.stringify({ id: fields.id, ...(fields.type === undefined ? {} : { type: fields.type }), ...fields.extra }) };
}

/** A well-formed, correctly signed event for `partner`; variants start from it and break one thing. */
export interface GoodEvent extends EventRequest {
  id: string;
  body: string;
}

export function goodEvent(context: CorpusContext, partner: CorpusPartner, extra: Record<string, unknown> = {}): GoodEvent {
  const id = context.uid();
  return { id, ...envelope(partner.scheme, { id, type: 'contact.updated', extra: { data: { name: 'Ada' }, ...extra } }) };
}

export function forEachScheme(context: CorpusContext, build: (partner: CorpusPartner) => HostileCase[]): HostileCase[] {
  return SCHEMES.flatMap((scheme) => build(context.partners[scheme]));
}
