import { createPublicKey, randomBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { anyBytesEqual, decodeBase64, hmacSha256 } from './constant-time.js';
import { firstBodyField } from './body-path.js';
import { decodeLenientBase64 } from './spec-key.js';
import { headerValue, readHeader } from './header.js';
import { isFreshTimestamp } from './timestamp.js';
import type { SignatureScheme, Verdict } from './types.js';

// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
const ID = 'webhook-id';
const TIMESTAMP = 'webhook-timestamp';
const SIGNATURE = 'webhook-signature';
// Svix-based senders (Clerk, Resend, …) send the same scheme under their own header names.
const SVIX_ID = 'svix-id';
const SVIX_TIMESTAMP = 'svix-timestamp';
const SVIX_SIGNATURE = 'svix-signature';
const SYMMETRIC_PREFIX = 'whsec_';
const PUBLIC_KEY_PREFIX = 'whpk_';
/** Entries looked at per request: rotation needs a handful, an attacker could send thousands. */
export const MAX_SIGNATURE_ENTRIES = 32;
/** `v1a,` plus 88 base64 characters of an ed25519 signature is the longest legitimate entry. */
export const MAX_ENTRY_LENGTH = 128;
const MIN_HMAC_KEY_BYTES = 16;
const HMAC_BYTES = 32;
const ED25519_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;

export type StandardKey = { kind: 'hmac'; key: Buffer } | { kind: 'ed25519'; key: KeyObject };

/**
 * Secrets as senders issue them (issue 10 item 7), read as the standardwebhooks library reads them:
 * `whsec_` is optional (an unprefixed value is base64 too, not a raw key), padding may be missing
 * and unused low bits of the last digit are ignored. Only `whpk_` marks an ed25519 public key.
 */
export function parseStandardSecret(secret: string): { ok: true; key: StandardKey } | { ok: false; reason: string } {
  if (!secret.startsWith(PUBLIC_KEY_PREFIX)) {
    if (secret === '') return { ok: false, reason: 'expected whsec_<base64> or the base64 alone (or whpk_<base64> for an ed25519 public key)' };
    const encoded = secret.startsWith(SYMMETRIC_PREFIX) ? secret.slice(SYMMETRIC_PREFIX.length) : secret;
    const key = encoded === '' ? Buffer.alloc(0) : decodeLenientBase64(encoded);
    if (key === null) return { ok: false, reason: 'the secret is not valid base64 (expected whsec_<base64> or the base64 alone)' };
    if (key.length < MIN_HMAC_KEY_BYTES) {
      return { ok: false, reason: `the key is ${key.length} bytes, at least ${MIN_HMAC_KEY_BYTES} are needed` };
    }
    return { ok: true, key: { kind: 'hmac', key } };
  }
  const raw = decodeBase64(secret.slice(PUBLIC_KEY_PREFIX.length), { allowUnpadded: true });
  if (raw === null) return { ok: false, reason: 'the part after whpk_ is not valid base64' };
  if (raw.length !== ED25519_KEY_BYTES) {
    return { ok: false, reason: `a whpk_ key must be a raw 32-byte ed25519 public key, got ${raw.length} bytes` };
  }
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    return { ok: true, key: { kind: 'ed25519', key } };
  } catch {
    return { ok: false, reason: 'the whpk_ key is not a valid ed25519 public key' };
  }
}

function parseEntries(value: string): { v1: Buffer[]; v1a: Buffer[] } {
  const v1: Buffer[] = [];
  const v1a: Buffer[] = [];
  for (const entry of value.split(' ', MAX_SIGNATURE_ENTRIES)) {
    if (entry.length > MAX_ENTRY_LENGTH) continue;
    const comma = entry.indexOf(',');
    const version = entry.slice(0, comma);
    // Unknown versions are skipped, not fatal: the spec lets senders add schemes over time.
    if (comma < 0 || (version !== 'v1' && version !== 'v1a')) continue;
    const bytes = decodeBase64(entry.slice(comma + 1));
    if (version === 'v1' && bytes?.length === HMAC_BYTES) v1.push(bytes);
    if (version === 'v1a' && bytes?.length === ED25519_SIGNATURE_BYTES) v1a.push(bytes);
  }
  return { v1, v1a };
}

function verifiesEd25519(content: Buffer, keys: readonly KeyObject[], signatures: readonly Buffer[]): boolean {
  for (const key of keys) {
    for (const signature of signatures) {
      try {
        if (verifySignature(null, content, key, signature)) return true;
      } catch {
        // A key or signature OpenSSL refuses is simply not a match.
      }
    }
  }
  return false;
}

export const standardWebhooksScheme: SignatureScheme = Object.freeze({
  name: 'standard-webhooks',
  signsIdOrTimestamp: true,
  relevantHeaders: Object.freeze(['content-type', ID, TIMESTAMP, SIGNATURE, SVIX_ID, SVIX_TIMESTAMP, SVIX_SIGNATURE]),
  signatureHeaders: Object.freeze([SIGNATURE, SVIX_SIGNATURE]),

  verify({ rawBody, headers, secrets, nowMs, toleranceSeconds }): Verdict {
    // One family or the other, never mixed: the webhook-* names win when a signature is sent under them.
    const svix = readHeader(headers, SIGNATURE).status === 'absent' && readHeader(headers, SVIX_SIGNATURE).status !== 'absent';
    const names = svix ? [SVIX_ID, SVIX_TIMESTAMP, SVIX_SIGNATURE] : [ID, TIMESTAMP, SIGNATURE];
    const reads = names.map((name) => readHeader(headers, name));
    if (reads.some((r) => r.status === 'absent')) return { ok: false, code: 'signature_missing' };
    const [id, timestamp, signature] = reads.map((r) => (r.status === 'present' ? r.value : undefined));
    if (id === undefined || timestamp === undefined || signature === undefined) {
      return { ok: false, code: 'signature_invalid' };
    }
    if (!isFreshTimestamp(timestamp, nowMs, toleranceSeconds)) return { ok: false, code: 'timestamp_invalid' };

    const entries = parseEntries(signature);
    const keys = secrets.map(parseStandardSecret).flatMap((p) => (p.ok ? [p.key] : []));
    const prefix = `${id}.${timestamp}.`;
    // v1 entries are checked only against whsec_ keys and v1a only against whpk_ keys.
    const expected = keys.flatMap((k) => (k.kind === 'hmac' ? [hmacSha256(k.key, [prefix, rawBody])] : []));
    if (anyBytesEqual(expected, entries.v1)) return { ok: true };
    const publicKeys = keys.flatMap((k) => (k.kind === 'ed25519' ? [k.key] : []));
    if (publicKeys.length > 0 && entries.v1a.length > 0) {
      const content = Buffer.concat([Buffer.from(prefix, 'utf8'), rawBody]);
      if (verifiesEd25519(content, publicKeys, entries.v1a)) return { ok: true };
    }
    return { ok: false, code: 'signature_invalid' };
  },

  locate(headers, body) {
    return { id: headerValue(headers, ID) ?? headerValue(headers, SVIX_ID), type: firstBodyField(body, ['type', 'event_type', 'event']) };
  },

  sign({ secret, rawBody, id, timestampSeconds }) {
    const parsed = parseStandardSecret(secret);
    if (!parsed.ok) throw new Error(`crm-webhooks: cannot sign for standard-webhooks: ${parsed.reason}`);
    if (parsed.key.kind !== 'hmac') {
      throw new Error('crm-webhooks: cannot sign with a whpk_ public key; the sender signs v1a with its private key');
    }
    if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
      throw new Error(`crm-webhooks: cannot sign for standard-webhooks: bad timestamp ${timestampSeconds}`);
    }
    const t = String(timestampSeconds);
    const digest = hmacSha256(parsed.key.key, [`${id}.${t}.`, rawBody]).toString('base64');
    return { [ID]: id, [TIMESTAMP]: t, [SIGNATURE]: `v1,${digest}` };
  },

  generateSecret: () => `${SYMMETRIC_PREFIX}${randomBytes(32).toString('base64')}`,
  checkSecret(secret) {
    const parsed = parseStandardSecret(secret);
    return parsed.ok ? null : parsed.reason;
  },
} satisfies SignatureScheme);
