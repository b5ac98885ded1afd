import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import type { RequestHeaders, VerifyRequest } from '../../plugin/signatures/types.js';
import { expect } from 'chai';
import { ALL_CASES, NOW_S, SCHEME_CASES, type SchemeCase, header, signedRequest, withHeaders } from './support.js';

/** Generous for a slow CI machine; the real cost is well under a millisecond per request. */
const QUICK_MS = 250;

function validRequest(c: SchemeCase): VerifyRequest {
  return signedRequest(c.scheme, { secret: c.scheme.generateSecret() });
}

function expectQuickRejection(c: SchemeCase, request: VerifyRequest): void {
  const started = process.hrtime.bigint();
  const verdict = c.scheme.verify(request);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  expect(verdict.ok, JSON.stringify(verdict)).to.equal(false);
  expect(elapsedMs).to.be.below(QUICK_MS);
}

const hexSig = 'sha256=' + 'ab'.repeat(32);
/** 1,000 well-formed but wrong signature entries in each scheme's syntax. */
const THOUSAND_ENTRIES: Readonly<Record<string, string>> = {
  'hmac-sha256': Array(1000).fill(hexSig).join(','),
  github: Array(1000).fill(hexSig).join(' '),
  'standard-webhooks': Array(1000).fill(`v1,${Buffer.alloc(32, 1).toString('base64')}`).join(' '),
  stripe: `t=${NOW_S},${Array(1000).fill(`v1=${'cd'.repeat(32)}`).join(',')}`,
};

const garbage = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.array(fc.string({ maxLength: 50 }), { maxLength: 4 }),
  fc.constantFrom('', ' ', ',', '=', 'v1,', 'v1a,', 't=', 'sha256=', ' , , ', 'v1, v1a,', '\u0000', 't=1,t=2'),
);

describe('signatures: hostile header input', () => {
  for (const c of ALL_CASES) {
    describe(c.scheme.name, () => {
      it('never throws and always rejects when signed headers hold arbitrary values', () => {
        const base = validRequest(c);
        const overwrite = fc.record(Object.fromEntries(c.signedHeaders.map((name) => [name, garbage])), { requiredKeys: [] });
        fc.assert(
          fc.property(overwrite, (changes) => {
            fc.pre(Object.keys(changes).length > 0);
            const request = { ...base, headers: { ...base.headers, ...changes } as RequestHeaders };
            expect(c.scheme.verify(request).ok).to.equal(false);
          }),
          { numRuns: 300 },
        );
      });

      it('rejects 1,000 signature entries in one header, quickly', () => {
        const request = withHeaders(validRequest(c), { [c.signatureHeader]: THOUSAND_ENTRIES[c.scheme.name] ?? '' });
        expectQuickRejection(c, request);
      });

      it('rejects 10 KB long header values, quickly', () => {
        const valid = validRequest(c);
        const good = header(valid.headers, c.signatureHeader);
        for (const long of ['a'.repeat(10_240), `${good}${'0'.repeat(10_240)}`, `v1,${'A'.repeat(10_240)}`, `t=${'9'.repeat(10_240)}`]) {
          for (const name of c.signedHeaders) expectQuickRejection(c, withHeaders(valid, { [name]: long }));
        }
      });

      it('rejects non-base64 and non-hex signatures', () => {
        const valid = validRequest(c);
        for (const value of ['v1,!!!!', 'v1,-_-_-_-_', 'sha256=xyz', 't=1,v1=zz', 'v1a,@@', '%00%ff', '\u00ff\u00fe']) {
          expectQuickRejection(c, withHeaders(valid, { [c.signatureHeader]: value }));
        }
      });

      it('accepts a one-element array but refuses several values, even identical ones', () => {
        const valid = validRequest(c);
        const good = header(valid.headers, c.signatureHeader);
        expect(c.scheme.verify(withHeaders(valid, { [c.signatureHeader]: [good] }))).to.deep.equal({ ok: true });
        for (const value of [[good, good], ['junk', good], [good, 'junk']]) {
          expect(c.scheme.verify(withHeaders(valid, { [c.signatureHeader]: value }))).to.deep.equal({
            ok: false,
            code: 'signature_invalid',
          });
        }
        expect(c.scheme.verify(withHeaders(valid, { [c.signatureHeader]: [] }))).to.deep.equal({
          ok: false,
          code: 'signature_missing',
        });
      });

      it('treats non-string header values as absent instead of throwing', () => {
        const valid = validRequest(c);
        for (const value of [42, null, {}, [1, 2], [null]]) {
          const request = { ...valid, headers: { ...valid.headers, [c.signatureHeader]: value } as unknown as RequestHeaders };
          expect(c.scheme.verify(request).ok).to.equal(false);
        }
      });
    });
  }

  describe('entry caps', () => {
    const sw = SCHEME_CASES['standard-webhooks'];
    const stripe = SCHEME_CASES.stripe;

    it('examines only the first 32 Standard Webhooks entries', () => {
      const valid = validRequest(sw);
      const good = header(valid.headers, 'webhook-signature');
      const filler = (n: number): string[] => Array<string>(n).fill(`v1,${Buffer.alloc(32).toString('base64')}`);
      const at = (n: number) => withHeaders(valid, { 'webhook-signature': [...filler(n), good].join(' ') });
      expect(sw.scheme.verify(at(31)).ok).to.equal(true);
      expect(sw.scheme.verify(at(32)).ok).to.equal(false);
    });

    it('skips a Standard Webhooks entry longer than any real signature', () => {
      const valid = validRequest(sw);
      const good = header(valid.headers, 'webhook-signature');
      expect(sw.scheme.verify(withHeaders(valid, { 'webhook-signature': `${good}${'='.repeat(200)}` })).ok).to.equal(false);
    });

    it('examines only the first 32 Stripe items, t included', () => {
      const valid = validRequest(stripe);
      const [t, v1] = header(valid.headers, 'stripe-signature').split(',');
      const filler = (n: number): string[] => Array<string>(n).fill(`v1=${'00'.repeat(32)}`);
      const at = (n: number) => withHeaders(valid, { 'stripe-signature': [t, ...filler(n), v1].join(',') });
      expect(stripe.scheme.verify(at(30)).ok).to.equal(true);
      expect(stripe.scheme.verify(at(31)).ok).to.equal(false);
    });

    it('bounds ed25519 work: 1,000 v1a entries against several public keys still answer quickly', () => {
      const keys = Array.from({ length: 3 }, () => {
        const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
        return `whpk_${raw.toString('base64')}`;
      });
      const entries = Array(1000).fill(`v1a,${Buffer.alloc(64, 3).toString('base64')}`).join(' ');
      const request = { ...withHeaders(validRequest(sw), { 'webhook-signature': entries }), secrets: keys };
      expectQuickRejection(sw, request);
    });
  });
});
