import { getScheme } from '../../plugin/signatures/index.js';
import type { BuiltInSchemeName as SchemeName } from '../../plugin/signatures/index.js';

export interface CorpusPartner {
  slug: string;
  scheme: SchemeName;
  secret: string;
}

export type HeaderLines = Array<readonly [string, string]>;

export interface SignOptions {
  /** Where the scheme carries the id in a header (Standard Webhooks, GitHub, hmac's X-Webhook-Id). */
  headerId?: string;
  /** GitHub's X-GitHub-Event. */
  type?: string;
  timestampSeconds?: number;
  /** Sign with this secret instead of the partner's (wrong-secret cases). */
  secret?: string;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Header lines a real sender of the partner's scheme would add for `body`, made with the scheme's
 * own sign(): most hostile bodies must be correctly signed, or they would all stop at 401 and never
 * reach the checks behind it.
 */
export function signatureHeaders(partner: CorpusPartner, body: Buffer, options: SignOptions = {}): HeaderLines {
  const signed = getScheme(partner.scheme).sign({
    secret: options.secret ?? partner.secret,
    rawBody: body,
    id: options.headerId ?? '',
    timestampSeconds: options.timestampSeconds ?? nowSeconds(),
    ...(options.type === undefined ? {} : { type: options.type }),
  });
  // Senders put UTF-8 on the wire and raw-http writes one byte per character: encode here.
  return Object.entries(signed)
    .filter(([name, value]) => !(value === '' && /id$|delivery$/.test(name)))
    .map(([name, value]) => [name, Buffer.from(value, 'utf8').toString('latin1')] as const);
}

/** Where each scheme's senders put the event id: the corpus places good and bad ids there. */
export function idLivesInHeader(scheme: SchemeName): boolean {
  return scheme === 'standard-webhooks' || scheme === 'github';
}

/** The header a scheme's signature goes in. */
export function signatureHeaderName(scheme: SchemeName): string {
  switch (scheme) {
    case 'hmac-sha256':
      return 'x-webhook-signature';
    case 'standard-webhooks':
      return 'webhook-signature';
    case 'stripe':
      return 'stripe-signature';
    case 'github':
      return 'x-hub-signature-256';
  }
}
