import { SecretKeyError } from '../errors.js';
import type { SecretBox } from './secret-box.js';

/**
 * One entry of `webhook_partners.secrets` (a JSON array, newest first). Exactly one of `enc` and
 * `plain` is set, so reading never has to guess whether a value is ciphertext.
 */
export interface StoredSecret {
  addedAt: string;
  enc?: string;
  plain?: string;
}

export function sealSecret(box: SecretBox | null, slug: string, secret: string, addedAt: Date): StoredSecret {
  const at = addedAt.toISOString();
  return box ? { addedAt: at, enc: box.seal(secret, slug) } : { addedAt: at, plain: secret };
}

export function openSecret(box: SecretBox | null, slug: string, stored: StoredSecret): string {
  if (typeof stored.plain === 'string') return stored.plain;
  if (typeof stored.enc !== 'string') {
    throw new SecretKeyError(`a stored secret of partner "${slug}" has neither "enc" nor "plain"`);
  }
  if (!box) {
    throw new SecretKeyError(
      `partner "${slug}" has encrypted secrets but no key is configured: set WEBHOOKS_SECRET_KEY (or the secretKey option)`,
    );
  }
  return box.open(stored.enc, slug);
}

export function parseStoredSecrets(json: string, slug: string): StoredSecret[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new SecretKeyError(`the secrets column of partner "${slug}" is not valid JSON`, { cause });
  }
  if (!Array.isArray(value) || !value.every(isStoredSecret)) {
    throw new SecretKeyError(`the secrets column of partner "${slug}" is not a list of secret entries`);
  }
  return value;
}

function isStoredSecret(v: unknown): v is StoredSecret {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.addedAt === 'string' && (typeof s.enc === 'string' || typeof s.plain === 'string');
}
