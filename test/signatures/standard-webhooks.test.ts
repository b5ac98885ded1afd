import fc from 'fast-check';
import { createHmac, generateKeyPairSync, sign as ed25519Sign, type KeyObject } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { getScheme } from '../../plugin/signatures/index.js';
import type { VerifyRequest } from '../../plugin/signatures/types.js';
import { expect } from 'chai';
import { BODY, NOW_S, TOLERANCE, flipBit, header, signedRequest, withHeaders } from './support.js';

const scheme = getScheme('standard-webhooks');
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

// https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/javascript/src/index.test.ts
const VECTOR: VerifyRequest = {
  rawBody: Buffer.from('{"test": 2432232314}'),
  headers: {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  },
  secrets: [SECRET],
  nowMs: 1614265330 * 1000,
  toleranceSeconds: TOLERANCE,
};

function ed25519Pair(): { privateKey: KeyObject; whpk: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // The SPKI DER of an ed25519 key ends with the raw 32-byte public key.
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { privateKey, whpk: `whpk_${raw.toString('base64')}` };
}

const content = (id: string, t: number, body: string = BODY): Buffer => Buffer.from(`${id}.${t}.${body}`);
const v1a = (key: KeyObject, id = 'evt_1', t = NOW_S): string => `v1a,${ed25519Sign(null, content(id, t), key).toString('base64')}`;
const v1 = (key: Buffer, id = 'evt_1', t = NOW_S): string =>
  `v1,${createHmac('sha256', key).update(content(id, t)).digest('base64')}`;

/** A request with the given signature header and secrets, otherwise as signed at NOW_S. */
function withSignature(signature: string, secrets: readonly string[]): VerifyRequest {
  const base = signedRequest(scheme, { secret: OTHER });
  return { ...withHeaders(base, { 'webhook-signature': signature }), secrets };
}

describe('signatures/standard-webhooks', () => {
  describe('verify', () => {
    it('verifies the reference test vector at its own timestamp', () => {
      expect(scheme.verify(VECTOR)).to.deep.equal({ ok: true });
    });

    it('accepts the reference vector up to the tolerance either side and not one second more', () => {
      for (const delta of [-TOLERANCE, TOLERANCE]) {
        expect(scheme.verify({ ...VECTOR, nowMs: VECTOR.nowMs + delta * 1000 }).ok).to.equal(true);
      }
      for (const delta of [-TOLERANCE - 1, TOLERANCE + 1]) {
        expect(scheme.verify({ ...VECTOR, nowMs: VECTOR.nowMs + delta * 1000 })).to.deep.equal({
          ok: false,
          code: 'timestamp_invalid',
        });
      }
    });

    it('accepts a correctly signed request', () => {
      expect(scheme.verify(signedRequest(scheme, { secret: SECRET }))).to.deep.equal({ ok: true });
    });

    it('rejects a body changed after signing', () => {
      expect(scheme.verify({ ...VECTOR, rawBody: Buffer.from('{"test": 2432232315}') })).to.deep.equal({
        ok: false,
        code: 'signature_invalid',
      });
    });

    it('rejects a webhook-id or webhook-timestamp changed after signing', () => {
      expect(scheme.verify(withHeaders(VECTOR, { 'webhook-id': 'msg_other' })).ok).to.equal(false);
      expect(scheme.verify(withHeaders(VECTOR, { 'webhook-timestamp': '1614265331' }))).to.deep.equal({
        ok: false,
        code: 'signature_invalid',
      });
    });

    it('rejects a request signed with a wrong secret', () => {
      expect(scheme.verify({ ...VECTOR, secrets: [OTHER] })).to.deep.equal({ ok: false, code: 'signature_invalid' });
    });

    it('answers signature_missing when any of the three headers is absent', () => {
      for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        expect(scheme.verify(withHeaders(VECTOR, { [name]: undefined })), name).to.deep.equal({
          ok: false,
          code: 'signature_missing',
        });
      }
    });

    it('answers timestamp_invalid for a stale timestamp and for one too far in the future', () => {
      for (const t of [NOW_S - TOLERANCE - 1, NOW_S + TOLERANCE + 1]) {
        expect(scheme.verify(signedRequest(scheme, { secret: SECRET, timestampSeconds: t }))).to.deep.equal({
          ok: false,
          code: 'timestamp_invalid',
        });
      }
    });

    it('accepts a timestamp within tolerance both ways', () => {
      for (const t of [NOW_S - TOLERANCE, NOW_S + TOLERANCE]) {
        expect(scheme.verify(signedRequest(scheme, { secret: SECRET, timestampSeconds: t })).ok).to.equal(true);
      }
    });

    it('answers timestamp_invalid for a timestamp that is not plain unix seconds', () => {
      for (const t of ['abc', '1614265330.0', '01614265330', '-1614265330']) {
        expect(scheme.verify(withHeaders(VECTOR, { 'webhook-timestamp': t })), t).to.deep.equal({
          ok: false,
          code: 'timestamp_invalid',
        });
      }
    });

    it('accepts the old and the new secret during a rotation, and not a removed one', () => {
      for (const secret of [SECRET, OTHER]) {
        expect(scheme.verify({ ...signedRequest(scheme, { secret }), secrets: [OTHER, SECRET] }).ok).to.equal(true);
      }
      expect(scheme.verify({ ...signedRequest(scheme, { secret: SECRET }), secrets: [OTHER] }).ok).to.equal(false);
    });

    it('accepts when any space-separated entry matches, skipping unknown versions', () => {
      const good = header(VECTOR.headers, 'webhook-signature');
      const value = `v2,abc v1,${Buffer.alloc(32).toString('base64')} nonsense ${good}`;
      expect(scheme.verify(withHeaders(VECTOR, { 'webhook-signature': value }))).to.deep.equal({ ok: true });
    });

    it('rejects a header holding only unknown versions', () => {
      const sig = header(VECTOR.headers, 'webhook-signature').slice(3);
      expect(scheme.verify(withHeaders(VECTOR, { 'webhook-signature': `v2,${sig} v1b,${sig}` }))).to.deep.equal({
        ok: false,
        code: 'signature_invalid',
      });
    });

    // Changed on purpose (issue 10 item 7): an unprefixed secret used to be refused; senders hand
    // them out that way, and the standardwebhooks library decodes them as base64 too.
    it('reads a secret without whsec_ as its base64, as the standardwebhooks library does', () => {
      expect(scheme.checkSecret(SECRET.slice(6))).to.equal(null);
      expect(scheme.verify({ ...VECTOR, secrets: [SECRET.slice(6)] }).ok).to.equal(true);
    });

    it('accepts base64 whose last digit has unused bits set, signing as the standardwebhooks library does', () => {
      // 16 bytes are 22 digits: the last one carries 2 bits of key and 4 unused ones, here set.
      const canonical = Buffer.alloc(16, 0xa5).toString('base64').replace(/=+$/, '');
      const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const lenient = `whsec_${canonical.slice(0, -1)}${digits[digits.indexOf(canonical.at(-1)!) | 0b1111]}`;
      expect(lenient).to.not.equal(`whsec_${canonical}`);
      expect(scheme.checkSecret(lenient)).to.equal(null);
      const id = 'msg_unused_bits';
      const signature = new Webhook(lenient).sign(id, new Date(NOW_S * 1000), BODY);
      const request: VerifyRequest = {
        rawBody: Buffer.from(BODY),
        headers: { 'webhook-id': id, 'webhook-timestamp': String(NOW_S), 'webhook-signature': signature },
        secrets: [lenient],
        nowMs: NOW_S * 1000,
        toleranceSeconds: TOLERANCE,
      };
      expect(scheme.verify(request).ok).to.equal(true);
      expect(scheme.verify({ ...request, secrets: [`whsec_${canonical}`] }).ok).to.equal(true);
    });

    it('accepts a whsec_ secret whose base64 lacks its padding', () => {
      const padded = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
      const request = signedRequest(scheme, { secret: padded });
      expect(scheme.verify({ ...request, secrets: [padded.replace(/=+$/, '')] }).ok).to.equal(true);
    });
  });

  describe('interop with the standardwebhooks library', () => {
    it('accepts a signature made by its Webhook.sign', () => {
      const theirs = new Webhook(SECRET).sign('msg_1', new Date(NOW_S * 1000), BODY);
      const request = withHeaders(signedRequest(scheme, { secret: SECRET, id: 'msg_1' }), { 'webhook-signature': theirs });
      expect(scheme.verify(request)).to.deep.equal({ ok: true });
    });

    it('accepts rotation headers it builds from two secrets', () => {
      const date = new Date(NOW_S * 1000);
      const both = [new Webhook(OTHER).sign('msg_1', date, BODY), new Webhook(SECRET).sign('msg_1', date, BODY)].join(' ');
      const request = withHeaders(signedRequest(scheme, { secret: SECRET, id: 'msg_1' }), { 'webhook-signature': both });
      expect(scheme.verify(request).ok).to.equal(true);
    });

    it('signs what its Webhook.verify accepts', () => {
      // Its verify reads Date.now() itself, so this one test signs at the real time.
      const headers = scheme.sign({ secret: SECRET, rawBody: BODY, id: 'msg_2', timestampSeconds: Math.floor(Date.now() / 1000) });
      expect(new Webhook(SECRET).verify(BODY, headers)).to.deep.equal(JSON.parse(BODY));
    });
  });

  describe('v1a (ed25519 public keys)', () => {
    const signer = ed25519Pair();
    const stranger = ed25519Pair();

    it('accepts a v1a signature made with the private key of a whpk_ key', () => {
      expect(scheme.verify(withSignature(v1a(signer.privateKey), [signer.whpk]))).to.deep.equal({ ok: true });
    });

    it('rejects a v1a signature made with a different key', () => {
      expect(scheme.verify(withSignature(v1a(stranger.privateKey), [signer.whpk]))).to.deep.equal({
        ok: false,
        code: 'signature_invalid',
      });
    });

    it('rejects a v1a signature over a changed body', () => {
      const request = withSignature(v1a(signer.privateKey), [signer.whpk]);
      expect(scheme.verify({ ...request, rawBody: Buffer.from(`${BODY} `) }).ok).to.equal(false);
    });

    it('never checks a v1 HMAC entry against a whpk_ key, even one keyed with the public key', () => {
      const publicBytes = Buffer.from(signer.whpk.slice(5), 'base64');
      expect(scheme.verify(withSignature(v1(publicBytes), [signer.whpk])).ok).to.equal(false);
    });

    it('never checks a v1a entry against a whsec_ secret', () => {
      expect(scheme.verify(withSignature(v1a(signer.privateKey), [OTHER])).ok).to.equal(false);
    });

    it('accepts a header mixing v1 and v1a entries when either matches its own kind of secret', () => {
      const hmacKey = Buffer.from(OTHER.slice(6), 'base64');
      const mixedGoodV1a = `${v1(Buffer.alloc(32, 1))} ${v1a(signer.privateKey)}`;
      const mixedGoodV1 = `${v1a(stranger.privateKey)} ${v1(hmacKey)}`;
      expect(scheme.verify(withSignature(mixedGoodV1a, [signer.whpk])).ok).to.equal(true);
      expect(scheme.verify(withSignature(mixedGoodV1, [signer.whpk, OTHER])).ok).to.equal(true);
      expect(scheme.verify(withSignature(mixedGoodV1, [signer.whpk])).ok).to.equal(false);
    });

    it('accepts rotation from one public key to another', () => {
      const request = withSignature(v1a(stranger.privateKey), [signer.whpk, stranger.whpk]);
      expect(scheme.verify(request).ok).to.equal(true);
      expect(scheme.verify({ ...request, secrets: [signer.whpk] }).ok).to.equal(false);
    });

    it('accepts any v1a-signed body and rejects it after any single-bit change', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 200 }), fc.nat(), (body, bit) => {
          const entry = `v1a,${ed25519Sign(null, content('evt_1', NOW_S, body), signer.privateKey).toString('base64')}`;
          const request = { ...withSignature(entry, [signer.whpk]), rawBody: Buffer.from(body) };
          expect(scheme.verify(request)).to.deep.equal({ ok: true });
          if (body.length > 0) expect(scheme.verify({ ...request, rawBody: flipBit(request.rawBody, bit) }).ok).to.equal(false);
        }),
        { numRuns: 100 },
      );
    });

    it('refuses to sign with a whpk_ key, naming the reason', () => {
      expect(() => scheme.sign({ secret: signer.whpk, rawBody: BODY, id: 'e', timestampSeconds: NOW_S })).to.throw(
        /whpk_ public key/,
      );
    });
  });

  describe('locate', () => {
    it('takes the id from webhook-id and the type from body type, event_type, then event', () => {
      const headers = { 'webhook-id': 'msg_1' };
      expect(scheme.locate(headers, { id: 'b', type: 'a.b' })).to.deep.equal({ id: 'msg_1', type: 'a.b' });
      expect(scheme.locate(headers, { event_type: 'c' }).type).to.equal('c');
      expect(scheme.locate(headers, { event: 'd' }).type).to.equal('d');
      expect(scheme.locate({}, { id: 'b' }).id).to.equal(undefined);
    });
  });

  describe('sign, secrets and headers', () => {
    it('sends the three webhook-* headers with a single v1 entry', () => {
      const headers = scheme.sign({ secret: SECRET, rawBody: VECTOR.rawBody, id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestampSeconds: 1614265330 });
      expect(headers).to.deep.equal(VECTOR.headers);
    });

    it('refuses to sign with an unusable secret or timestamp', () => {
      expect(() => scheme.sign({ secret: 'plain', rawBody: BODY, id: 'e', timestampSeconds: NOW_S })).to.throw(/whsec_/);
      expect(() => scheme.sign({ secret: SECRET, rawBody: BODY, id: 'e', timestampSeconds: -1 })).to.throw(/timestamp/);
    });

    it('generates whsec_ and the base64 of 32 random bytes, which checkSecret accepts', () => {
      const secret = scheme.generateSecret();
      expect(secret).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(6), 'base64')).to.have.length(32);
      expect(scheme.checkSecret(secret)).to.equal(null);
      expect(scheme.generateSecret()).to.not.equal(secret);
    });

    it('explains why a secret is unusable', () => {
      expect(scheme.checkSecret('')).to.match(/expected whsec_/);
      expect(scheme.checkSecret('whsec_')).to.match(/0 bytes/);
      expect(scheme.checkSecret(`whsec_${Buffer.alloc(15).toString('base64')}`)).to.match(/at least 16/);
      expect(scheme.checkSecret('whsec_not base64!')).to.match(/not valid base64/);
      expect(scheme.checkSecret(`whpk_${Buffer.alloc(31).toString('base64')}`)).to.match(/32-byte/);
      expect(scheme.checkSecret(`whpk_${Buffer.alloc(33).toString('base64')}`)).to.match(/32-byte/);
      expect(scheme.checkSecret(ed25519Pair().whpk)).to.equal(null);
      expect(scheme.checkSecret(`whsec_${Buffer.alloc(16).toString('base64')}`)).to.equal(null);
    });

    it('redacts webhook-signature and svix-signature', () => {
      expect(scheme.signatureHeaders).to.deep.equal(['webhook-signature', 'svix-signature']);
      expect(scheme.relevantHeaders).to.have.members(['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'svix-id', 'svix-timestamp', 'svix-signature']);
    });
  });

  describe('svix-* header names (CONTRACT.md: Svix-based senders)', () => {
    const svix = (request: VerifyRequest): VerifyRequest => {
      const h = request.headers as Record<string, string>;
      return { ...request, headers: { 'svix-id': h['webhook-id']!, 'svix-timestamp': h['webhook-timestamp']!, 'svix-signature': h['webhook-signature']! } };
    };

    it('verifies the reference vector sent under svix-id, svix-timestamp and svix-signature', () => {
      expect(scheme.verify(svix(VECTOR))).to.deep.equal({ ok: true });
      expect(scheme.locate(svix(VECTOR).headers, {}).id).to.equal('msg_p5jXN8AQM9LWM0D4loKWxJek');
    });

    it('refuses the svix vector with its body changed, and never mixes the two header families', () => {
      expect(scheme.verify({ ...svix(VECTOR), rawBody: Buffer.from('{"test": 2432232315}') })).to.deep.equal({ ok: false, code: 'signature_invalid' });
      const mixed = { ...VECTOR, headers: { 'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'svix-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' } };
      expect(scheme.verify(mixed)).to.deep.equal({ ok: false, code: 'signature_missing' });
    });
  });
});
