import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { getScheme } from '../../plugin/signatures/index.js';
import { BODY, NOW_MS, NOW_S, TOLERANCE, header, signedRequest, withHeaders } from './support.js';

const scheme = getScheme('stripe');
const SECRET = 'whsec_test_secret_0123456789abcdef';
const OTHER = 'whsec_other_secret_0123456789abcd';
const v1 = (secret: string | Buffer, t: number | string, body: string = BODY): string =>
  createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

function stripeHeader(changes: { header: string }) {
  return withHeaders(signedRequest(scheme, { secret: SECRET }), { 'stripe-signature': changes.header });
}

describe('signatures/stripe', () => {
  describe('verify', () => {
    it('accepts a correctly signed request', () => {
      expect(scheme.verify(signedRequest(scheme, { secret: SECRET }))).to.deep.equal({ ok: true });
    });

    it('accepts a header made by the stripe library\'s generateTestHeaderString', () => {
      const value = Stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: SECRET, timestamp: NOW_S });
      expect(scheme.verify(stripeHeader({ header: value }))).to.deep.equal({ ok: true });
    });

    it('signs what the stripe library verifies', () => {
      const headers = scheme.sign({ secret: SECRET, rawBody: BODY, id: 'evt_1', timestampSeconds: NOW_S });
      const event = Stripe.webhooks.constructEvent(BODY, header(headers, 'stripe-signature'), SECRET, TOLERANCE, undefined, NOW_MS);
      expect(event.id).to.equal('evt_1');
    });

    it('keys the HMAC with the secret string as given, never base64-decoding whsec_', () => {
      const decodedKey = Buffer.from(SECRET.slice(6), 'base64');
      const request = stripeHeader({ header: `t=${NOW_S},v1=${v1(decodedKey, NOW_S)}` });
      expect(scheme.verify(request)).to.deep.equal({ ok: false, code: 'signature_invalid' });
    });

    it('rejects a body changed after signing', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      expect(scheme.verify({ ...request, rawBody: Buffer.from(BODY.replace('created', 'deleted')) })).to.deep.equal({
        ok: false,
        code: 'signature_invalid',
      });
    });

    it('rejects a request signed with a wrong secret', () => {
      expect(scheme.verify({ ...signedRequest(scheme, { secret: SECRET }), secrets: [OTHER] }).ok).to.equal(false);
    });

    it('answers signature_missing without a Stripe-Signature header', () => {
      const request = withHeaders(signedRequest(scheme, { secret: SECRET }), { 'stripe-signature': undefined });
      expect(scheme.verify(request)).to.deep.equal({ ok: false, code: 'signature_missing' });
    });

    it('answers timestamp_invalid for a stale timestamp and for one too far in the future', () => {
      for (const t of [NOW_S - TOLERANCE - 1, NOW_S + TOLERANCE + 1, NOW_S - 86_400]) {
        const request = signedRequest(scheme, { secret: SECRET, timestampSeconds: t });
        expect(scheme.verify(request), String(t)).to.deep.equal({ ok: false, code: 'timestamp_invalid' });
      }
    });

    it('accepts a timestamp within tolerance both ways', () => {
      for (const t of [NOW_S - TOLERANCE, NOW_S + TOLERANCE]) {
        expect(scheme.verify(signedRequest(scheme, { secret: SECRET, timestampSeconds: t })).ok, String(t)).to.equal(true);
      }
    });

    it('rejects a t changed after signing, even within tolerance', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      const value = header(request.headers, 'stripe-signature').replace(`t=${NOW_S}`, `t=${NOW_S + 1}`);
      expect(scheme.verify(stripeHeader({ header: value }))).to.deep.equal({ ok: false, code: 'signature_invalid' });
    });

    it('accepts the old and the new secret during a rotation, and not a removed one', () => {
      for (const secret of [SECRET, OTHER]) {
        expect(scheme.verify({ ...signedRequest(scheme, { secret }), secrets: [OTHER, SECRET] }).ok).to.equal(true);
      }
      expect(scheme.verify({ ...signedRequest(scheme, { secret: OTHER }), secrets: [SECRET] }).ok).to.equal(false);
    });

    it('accepts when any of several v1 entries matches, ignoring v0 and unknown keys', () => {
      const value = `t=${NOW_S},v0=${v1('x', NOW_S)},v1=${v1(OTHER, NOW_S)},v1=${v1(SECRET, NOW_S)},v9=zz,junk`;
      expect(scheme.verify(stripeHeader({ header: value }))).to.deep.equal({ ok: true });
    });

    it('never accepts a v0 entry alone, even if it carries the right HMAC', () => {
      expect(scheme.verify(stripeHeader({ header: `t=${NOW_S},v0=${v1(SECRET, NOW_S)}` })).ok).to.equal(false);
    });

    it('rejects a header with no t, no v1, or two t items', () => {
      const good = v1(SECRET, NOW_S);
      for (const value of [`v1=${good}`, `t=${NOW_S}`, `t=${NOW_S},t=${NOW_S},v1=${good}`, 'garbage']) {
        expect(scheme.verify(stripeHeader({ header: value })), value).to.deep.equal({ ok: false, code: 'signature_invalid' });
      }
    });

    it('answers timestamp_invalid for a t that is not plain unix seconds', () => {
      for (const t of ['abc', '-1', `${NOW_S}.5`, `0${NOW_S}`]) {
        const value = `t=${t},v1=${v1(SECRET, t)}`;
        expect(scheme.verify(stripeHeader({ header: value })), t).to.deep.equal({ ok: false, code: 'timestamp_invalid' });
      }
    });
  });

  describe('locate', () => {
    it('takes the id and type from the body, never from headers', () => {
      const located = scheme.locate({ 'x-webhook-id': 'h' }, { id: 'evt_1', type: 'invoice.paid', event_id: 'e' });
      expect(located).to.deep.equal({ id: 'evt_1', type: 'invoice.paid' });
      expect(scheme.locate({}, { event_type: 'x' })).to.deep.equal({ id: undefined, type: undefined });
    });
  });

  describe('sign, secrets and headers', () => {
    it('sends t=<unix>,v1=<hex>', () => {
      const headers = scheme.sign({ secret: SECRET, rawBody: BODY, id: 'evt_1', timestampSeconds: NOW_S });
      expect(headers).to.deep.equal({ 'stripe-signature': `t=${NOW_S},v1=${v1(SECRET, NOW_S)}` });
    });

    it('refuses to sign with an empty secret or an unusable timestamp', () => {
      expect(() => scheme.sign({ secret: '', rawBody: BODY, id: 'e', timestampSeconds: NOW_S })).to.throw(/empty/);
      expect(() => scheme.sign({ secret: SECRET, rawBody: BODY, id: 'e', timestampSeconds: 1.5 })).to.throw(/timestamp/);
    });

    it('generates whsec_ and 32 alphanumerics, which checkSecret accepts', () => {
      const secret = scheme.generateSecret();
      expect(secret).to.match(/^whsec_[A-Za-z0-9]{32}$/);
      expect(scheme.generateSecret()).to.not.equal(secret);
      expect(scheme.checkSecret(secret)).to.equal(null);
    });

    it('explains why a secret is unusable', () => {
      expect(scheme.checkSecret('')).to.match(/empty/);
      expect(scheme.checkSecret('whsec_short')).to.match(/too short/);
      expect(scheme.checkSecret(`${SECRET}\n`)).to.match(/whitespace/);
    });

    it('redacts Stripe-Signature', () => {
      expect(scheme.signatureHeaders).to.deep.equal(['stripe-signature']);
      expect(scheme.relevantHeaders).to.include.members(['content-type', 'stripe-signature']);
    });
  });
});
