import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigError, SecretKeyError } from '../errors.js';

/**
 * AES-256-GCM for partner secrets at rest. A sealed value is `v1.<kid>.<iv>.<ciphertext>.<tag>`
 * (base64url parts): the key id lets a wrong key fail with a message that says so instead of a bare
 * authentication error, and the partner slug is bound as associated data so a secret copied onto
 * another partner's row by hand does not decrypt there.
 */
export interface SecretBox {
  /** First 8 hex characters of SHA-256 of the key: identifies a key without revealing it. */
  readonly kid: string;
  seal(plaintext: string, slug: string): string;
  open(sealed: string, slug: string): string;
}

const VERSION = 'v1';
const IV_BYTES = 12;

/** Accepts a 32-byte key as 64 hex characters or as base64 (the two forms CONTRACT.md names). */
export function parseSecretKey(text: string, source = 'WEBHOOKS_SECRET_KEY'): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed, 'base64');
    if (key.length === 32) return key;
  }
  throw new ConfigError(
    `${source} must be a 32-byte key as 64 hex characters or base64 (for example: openssl rand -hex 32)`,
  );
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new ConfigError('the secret key must be 32 bytes');
  const kid = keyId(key);
  return Object.freeze({
    kid,
    seal(plaintext: string, slug: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(slug, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [iv, ciphertext, cipher.getAuthTag()].map((b) => b.toString('base64url'));
      return [VERSION, kid, ...parts].join('.');
    },
    open(sealed: string, slug: string): string {
      const [version, sealedKid, iv, ciphertext, tag, ...rest] = sealed.split('.');
      if (version !== VERSION || !sealedKid || !iv || ciphertext === undefined || !tag || rest.length) {
        throw new SecretKeyError(`a stored secret of partner "${slug}" is not in a form this version can read`);
      }
      if (sealedKid !== kid) {
        throw new SecretKeyError(
          `a secret of partner "${slug}" was encrypted with key ${sealedKid}, but the configured key is ${kid}`,
        );
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(slug, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new SecretKeyError(`a secret of partner "${slug}" failed authentication: it was altered or belongs to another partner`, {
          cause,
        });
      }
    },
  });
}
