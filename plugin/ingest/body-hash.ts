import { createHash } from 'node:crypto';
import type { PartnerSettings } from '../partners/partner-settings.js';
import type { SignatureScheme } from '../signatures/types.js';

/**
 * Issue 9: where the signature covers neither the event id nor a timestamp, anyone holding one
 * captured request can send it again under a new id (X-Webhook-Id) or type (X-GitHub-Event). Its
 * body is byte for byte the same, so the body's hash is deduped like an id: on unless the partner
 * sets `dedupeBodyHash: false` (a sender that legitimately repeats identical bodies).
 */
export function bodyHashFor(scheme: SignatureScheme, settings: PartnerSettings, rawBody: Buffer): string | null {
  if (scheme.signsIdOrTimestamp === true || settings.dedupeBodyHash === false) return null;
  return createHash('sha256').update(rawBody).digest('hex');
}
