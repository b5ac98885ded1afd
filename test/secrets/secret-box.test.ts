import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createSecretBox, parseSecretKey } from '../../plugin/secrets/secret-box.js';
import { openSecret, sealSecret } from '../../plugin/secrets/stored-secret.js';

describe('secrets at rest', () => {
  const key = randomBytes(32);
  const box = createSecretBox(key);

  it('accepts a key as 64 hex characters or as base64, and refuses anything else with the variable named', () => {
    expect(parseSecretKey(key.toString('hex')).equals(key)).to.equal(true);
    expect(parseSecretKey(key.toString('base64')).equals(key)).to.equal(true);
    expect(() => parseSecretKey('too-short')).to.throw(/WEBHOOKS_SECRET_KEY must be a 32-byte key/);
    expect(() => parseSecretKey(randomBytes(16).toString('hex'))).to.throw(/32-byte/);
  });

  it('round-trips a secret and never stores the plaintext', () => {
    const stored = sealSecret(box, 'acme', 'whsec_plaintext-value', new Date());
    expect(JSON.stringify(stored)).not.to.include('plaintext-value');
    expect(openSecret(box, 'acme', stored)).to.equal('whsec_plaintext-value');
  });

  it('says which key a secret needs when opened with another key', () => {
    const stored = sealSecret(box, 'acme', 's3cret-value-123456', new Date());
    const other = createSecretBox(randomBytes(32));
    expect(() => openSecret(other, 'acme', stored)).to.throw(new RegExp(`encrypted with key ${box.kid}, but the configured key is ${other.kid}`));
  });

  it('asks for the key when secrets are encrypted and none is configured', () => {
    const stored = sealSecret(box, 'acme', 's3cret-value-123456', new Date());
    expect(() => openSecret(null, 'acme', stored)).to.throw(/set WEBHOOKS_SECRET_KEY/);
  });

  it('refuses a secret copied onto another partner, and a tampered one', () => {
    const stored = sealSecret(box, 'acme', 's3cret-value-123456', new Date());
    expect(() => openSecret(box, 'globex', stored)).to.throw(/failed authentication/);
    // Flip a whole byte of the ciphertext (editing a base64 character may only touch padding bits).
    const parts = stored.enc!.split('.');
    const ciphertext = Buffer.from(parts[3]!, 'base64url');
    ciphertext[0]! ^= 0xff;
    parts[3] = ciphertext.toString('base64url');
    const tampered = { ...stored, enc: parts.join('.') };
    expect(() => openSecret(box, 'acme', tampered)).to.throw(/failed authentication/);
  });

  it('stores the secret as given, marked plain, when no key is configured', () => {
    const stored = sealSecret(null, 'acme', 'visible-secret-123456', new Date());
    expect(stored.plain).to.equal('visible-secret-123456');
    expect(openSecret(null, 'acme', stored)).to.equal('visible-secret-123456');
  });
});
