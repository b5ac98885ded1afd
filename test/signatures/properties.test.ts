import fc from 'fast-check';
import type { VerifyRequest } from '../../plugin/signatures/types.js';
import { expect } from 'chai';
import { ALL_CASES, type SchemeCase, flipBit, header } from './support.js';

const RUNS = { numRuns: 200 };
const bodies = fc.uint8Array({ maxLength: 512 });
const ids = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/);
const timestamps = fc.integer({ min: 1_000_000_000, max: 4_000_000_000 });
/** A tolerance and a now (ms) that lies within it of timestamp 0, both ways, boundaries included. */
const withinTolerance = fc
  .integer({ min: 0, max: 3600 })
  .chain((tol) => fc.tuple(fc.constant(tol), fc.integer({ min: -tol * 1000, max: tol * 1000 + 999 })));

function signed(c: SchemeCase, secret: string, body: Uint8Array, id: string, ts: number, offsetMs = 0, tol = 300): VerifyRequest {
  const rawBody = Buffer.from(body);
  return {
    rawBody,
    headers: c.scheme.sign({ secret, rawBody, id, timestampSeconds: ts, type: 'ping' }),
    secrets: [secret],
    nowMs: ts * 1000 + offsetMs,
    toleranceSeconds: tol,
  };
}

describe('signatures: properties of every scheme', () => {
  for (const c of ALL_CASES) {
    describe(c.scheme.name, () => {
      it('accepts any correctly signed request within tolerance', () => {
        fc.assert(
          fc.property(c.secret, bodies, ids, timestamps, withinTolerance, (secret, body, id, ts, [tol, offset]) => {
            expect(c.scheme.verify(signed(c, secret, body, id, ts, offset, tol))).to.deep.equal({ ok: true });
          }),
          RUNS,
        );
      });

      it('rejects any single-bit change to the body', () => {
        fc.assert(
          fc.property(c.secret, bodies.filter((b) => b.length > 0), ids, timestamps, fc.nat(), (secret, body, id, ts, bit) => {
            const request = signed(c, secret, body, id, ts);
            const verdict = c.scheme.verify({ ...request, rawBody: flipBit(body, bit) });
            expect(verdict).to.deep.equal({ ok: false, code: 'signature_invalid' });
          }),
          RUNS,
        );
      });

      it('rejects any other body, whatever its length (truncated, extended or replaced)', () => {
        const pairs = fc.tuple(bodies, bodies).filter(([a, b]) => !Buffer.from(a).equals(Buffer.from(b)));
        fc.assert(
          fc.property(c.secret, pairs, ids, timestamps, (secret, [body, other], id, ts) => {
            const verdict = c.scheme.verify({ ...signed(c, secret, body, id, ts), rawBody: Buffer.from(other) });
            expect(verdict).to.deep.equal({ ok: false, code: 'signature_invalid' });
          }),
          RUNS,
        );
      });

      it('rejects any single-bit change to the signature', () => {
        fc.assert(
          fc.property(c.secret, bodies, ids, timestamps, fc.nat({ max: 255 }), (secret, body, id, ts, bit) => {
            const request = signed(c, secret, body, id, ts);
            const value = header(request.headers, c.signatureHeader);
            const changed = c.flipSignatureBit(value, bit);
            expect(changed).to.not.equal(value);
            const verdict = c.scheme.verify({ ...request, headers: { ...request.headers, [c.signatureHeader]: changed } });
            expect(verdict).to.deep.equal({ ok: false, code: 'signature_invalid' });
          }),
          RUNS,
        );
      });

      it('rejects a request verified with any other secret', () => {
        const pairs = fc.tuple(c.secret, c.secret).filter(([a, b]) => c.keysDiffer(a, b));
        fc.assert(
          fc.property(pairs, bodies, ids, timestamps, ([secret, other], body, id, ts) => {
            const verdict = c.scheme.verify({ ...signed(c, secret, body, id, ts), secrets: [other] });
            expect(verdict).to.deep.equal({ ok: false, code: 'signature_invalid' });
          }),
          RUNS,
        );
      });

      if (c.scheme.name === 'standard-webhooks') {
        // The only scheme whose signed content includes the id header: a replay under a new id must fail.
        it('rejects any change to the signed webhook-id', () => {
          const pairs = fc.tuple(ids, ids).filter(([a, b]) => a !== b);
          fc.assert(
            fc.property(c.secret, bodies, pairs, timestamps, (secret, body, [id, other], ts) => {
              const request = signed(c, secret, body, id, ts);
              const verdict = c.scheme.verify({ ...request, headers: { ...request.headers, 'webhook-id': other } });
              expect(verdict).to.deep.equal({ ok: false, code: 'signature_invalid' });
            }),
            RUNS,
          );
        });
      }

      if (!c.timestamped) return;

      it('rejects any timestamp beyond tolerance, past or future', () => {
        const beyond = fc.tuple(fc.integer({ min: 0, max: 3600 }), fc.integer({ min: 1, max: 10_000_000 }), fc.boolean(), fc.nat({ max: 999 }));
        fc.assert(
          fc.property(c.secret, bodies, ids, timestamps, beyond, (secret, body, id, ts, [tol, excess, past, ms]) => {
            const nowSeconds = past ? ts + tol + excess : ts - tol - excess;
            const request = { ...signed(c, secret, body, id, ts, 0, tol), nowMs: nowSeconds * 1000 + ms };
            expect(c.scheme.verify(request)).to.deep.equal({ ok: false, code: 'timestamp_invalid' });
          }),
          RUNS,
        );
      });

      it('rejects any change to the signed timestamp, even one within tolerance', () => {
        const deltas = fc.integer({ min: -300, max: 300 }).filter((d) => d !== 0);
        fc.assert(
          fc.property(c.secret, bodies, ids, timestamps, deltas, (secret, body, id, ts, delta) => {
            const request = signed(c, secret, body, id, ts, 0, 300);
            const verdict = c.scheme.verify({ ...request, headers: c.setTimestamp(request.headers, ts + delta) });
            expect(verdict).to.deep.equal({ ok: false, code: 'signature_invalid' });
          }),
          RUNS,
        );
      });
    });
  }
});
