import { sign as octokitSign } from '@octokit/webhooks-methods';
import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { getScheme } from '../../plugin/signatures/index.js';
import { BODY, NOW_MS, header, signedRequest, withHeaders } from './support.js';

const scheme = getScheme('hmac-sha256');
const SECRET = 'a-secret-of-thirty-two-characters';
const OTHER = 'another-secret-of-32-characters!';
const hex = (secret: string, body: string = BODY): string => createHmac('sha256', secret).update(body).digest('hex');

describe('signatures/hmac-sha256', () => {
  describe('verify', () => {
    it('accepts a correctly signed request', () => {
      expect(scheme.verify(signedRequest(scheme, { secret: SECRET }))).to.deep.equal({ ok: true });
    });

    it('accepts the signature with or without the sha256= prefix, in either hex case', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      for (const value of [hex(SECRET), hex(SECRET).toUpperCase(), `sha256=${hex(SECRET)}`, `SHA256=${hex(SECRET)}`]) {
        expect(scheme.verify(withHeaders(request, { 'x-webhook-signature': value })), value).to.deep.equal({ ok: true });
      }
    });

    it('rejects a body changed after signing', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      const changed = { ...request, rawBody: Buffer.from(BODY.replace('Ada', 'Eve')) };
      expect(scheme.verify(changed)).to.deep.equal({ ok: false, code: 'signature_invalid' });
    });

    it('rejects a request signed with a wrong secret', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      expect(scheme.verify({ ...request, secrets: [OTHER] })).to.deep.equal({ ok: false, code: 'signature_invalid' });
    });

    it('answers signature_missing when the signature header is absent or empty', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      for (const value of [undefined, '', ' ']) {
        expect(scheme.verify(withHeaders(request, { 'x-webhook-signature': value }))).to.deep.equal({
          ok: false,
          code: 'signature_missing',
        });
      }
    });

    it('rejects a truncated, padded or non-hex signature', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      for (const value of [hex(SECRET).slice(2), `${hex(SECRET)}00`, 'sha256=', 'sha1=abcd', `sha256=${'z'.repeat(64)}`]) {
        expect(scheme.verify(withHeaders(request, { 'x-webhook-signature': value })).ok, value).to.equal(false);
      }
    });

    it('accepts the old and the new secret during a rotation', () => {
      for (const secret of [SECRET, OTHER]) {
        const request = signedRequest(scheme, { secret });
        expect(scheme.verify({ ...request, secrets: [OTHER, SECRET] })).to.deep.equal({ ok: true });
      }
    });

    it('rejects a secret once it was removed', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      expect(scheme.verify({ ...request, secrets: [OTHER] }).ok).to.equal(false);
      expect(scheme.verify({ ...request, secrets: [] }).ok).to.equal(false);
    });

    it('never verifies with an empty secret', () => {
      const request = withHeaders(signedRequest(scheme, { secret: SECRET }), { 'x-webhook-signature': hex('') });
      expect(scheme.verify({ ...request, secrets: [''] }).ok).to.equal(false);
    });

    it('ignores the clock: the scheme signs no timestamp', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      expect(scheme.verify({ ...request, nowMs: NOW_MS * 3 })).to.deep.equal({ ok: true });
    });

    it('accepts a signature made by GitHub\'s own library, which uses the same format', async () => {
      const request = withHeaders(signedRequest(scheme, { secret: SECRET }), {
        'x-webhook-signature': await octokitSign(SECRET, BODY),
      });
      expect(scheme.verify(request)).to.deep.equal({ ok: true });
    });
  });

  describe('locate', () => {
    it('takes the id from the signed body (event_id, then id), and X-Webhook-Id only when the body has neither', () => {
      const body = { event_id: 'e', id: 'i' };
      expect(scheme.locate({ 'x-webhook-id': 'h' }, body).id).to.equal('e');
      expect(scheme.locate({ 'x-webhook-id': 'h' }, { id: 'i' }).id).to.equal('i');
      expect(scheme.locate({ 'x-webhook-id': 'h' }, { type: 't' }).id).to.equal('h');
      expect(scheme.locate({ 'x-webhook-id': '' }, body).id).to.equal('e');
      expect(scheme.locate({}, body).id).to.equal('e');
      expect(scheme.locate({}, { id: 7 }).id).to.equal(7);
      expect(scheme.locate({}, { event_id: null, id: 'i' }).id).to.equal('i');
      expect(scheme.locate({}, {}).id).to.equal(undefined);
    });

    it('takes the type from body type, then event_type, then event', () => {
      expect(scheme.locate({}, { type: 't', event_type: 'et', event: 'e' }).type).to.equal('t');
      expect(scheme.locate({}, { event_type: 'et', event: 'e' }).type).to.equal('et');
      expect(scheme.locate({}, { event: 'e' }).type).to.equal('e');
      expect(scheme.locate({}, ['type']).type).to.equal(undefined);
      expect(scheme.locate({}, null).type).to.equal(undefined);
    });
  });

  describe('sign, secrets and headers', () => {
    it('signs with sha256=<hex> and sends the event id', () => {
      const headers = scheme.sign({ secret: SECRET, rawBody: BODY, id: 'evt_9', timestampSeconds: 0 });
      expect(headers).to.deep.equal({ 'x-webhook-signature': `sha256=${hex(SECRET)}`, 'x-webhook-id': 'evt_9' });
    });

    it('refuses to sign with an empty secret', () => {
      expect(() => scheme.sign({ secret: '', rawBody: BODY, id: 'e', timestampSeconds: 0 })).to.throw(/empty secret/);
    });

    it('generates 32 random bytes as hex, each time different, that checkSecret accepts', () => {
      const a = scheme.generateSecret();
      expect(a).to.match(/^[0-9a-f]{64}$/);
      expect(scheme.generateSecret()).to.not.equal(a);
      expect(scheme.checkSecret(a)).to.equal(null);
    });

    // Changed on purpose (issue 10 item 7): a short secret is the sender's and is accepted, with a warning.
    it('explains why a secret is unusable, and only warns about a short one', () => {
      expect(scheme.checkSecret('')).to.match(/empty/);
      expect(scheme.checkSecret('short')).to.equal(null);
      expect(scheme.warnSecret?.('short')).to.match(/too short/);
      expect(scheme.warnSecret?.('0123456789abcdef')).to.equal(null);
      expect(scheme.checkSecret(` ${SECRET}`)).to.match(/whitespace/);
      expect(scheme.checkSecret('0123456789abcdef')).to.equal(null);
    });

    it('lists its headers and redacts the signature', () => {
      expect(scheme.relevantHeaders).to.include.members(['content-type', 'x-webhook-id', 'x-webhook-signature']);
      expect(scheme.signatureHeaders).to.deep.equal(['x-webhook-signature']);
      expect(header(signedRequest(scheme, { secret: SECRET }).headers, 'x-webhook-id')).to.equal('evt_1');
    });
  });
});
