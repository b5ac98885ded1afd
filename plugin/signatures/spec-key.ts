import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeBase64, decodeHex } from './constant-time.js';
import type { SignatureSpec } from './signature-spec.js';

export type SpecKey = { kind: 'bytes'; bytes: Buffer } | { kind: 'public'; key: KeyObject };

const WHSEC = 'whsec_';
const BASE64ISH = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Base64 as senders hand it out: padding optional, and the unused low bits of the last digit
 * ignored, as the Standard Webhooks and Svix libraries do (their dashboards have issued such keys).
 * Signatures are still decoded strictly elsewhere; this is for secrets only.
 */
export function decodeLenientBase64(text: string): Buffer | null {
  if (!BASE64ISH.test(text) || text.replace(/=+$/, '').length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 0 ? null : bytes;
}

/** The key bytes (or public key) a secret stands for under a spec; a reason when it cannot be used. */
export function specKey(spec: SignatureSpec, secret: string): { ok: true; key: SpecKey } | { ok: false; reason: string } {
  if (secret.length === 0) return { ok: false, reason: 'the secret is empty' };
  if (secret.trim() !== secret) return { ok: false, reason: 'the secret starts or ends with whitespace' };
  if (spec.algorithm === 'ecdsa-p256-sha256') {
    // SendGrid hands out the base64 DER (SPKI) of a P-256 public key; PEM is accepted too.
    try {
      const key = secret.includes('BEGIN PUBLIC KEY')
        ? createPublicKey(secret)
        : createPublicKey({ key: decodeLenientBase64(secret) ?? Buffer.alloc(0), format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ec') return { ok: false, reason: 'expected an EC (P-256) public key' };
      return { ok: true, key: { kind: 'public', key } };
    } catch {
      return { ok: false, reason: 'expected a base64 DER or PEM EC public key' };
    }
  }
  let bytes: Buffer | null;
  switch (spec.secret) {
    case 'utf8':
      bytes = Buffer.from(secret, 'utf8');
      break;
    case 'hex':
      bytes = decodeHex(secret);
      break;
    case 'base64':
      bytes = decodeBase64(secret, { allowUnpadded: true }) ?? decodeLenientBase64(secret);
      break;
    case 'whsec':
      bytes = decodeLenientBase64(secret.startsWith(WHSEC) ? secret.slice(WHSEC.length) : secret);
      break;
  }
  if (bytes === null || bytes.length === 0) return { ok: false, reason: `the secret is not valid ${spec.secret === 'whsec' ? 'whsec_<base64>' : spec.secret}` };
  return { ok: true, key: { kind: 'bytes', bytes } };
}
