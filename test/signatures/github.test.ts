import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods';
import { expect } from 'chai';
import { getScheme } from '../../plugin/signatures/index.js';
import { BODY, NOW_MS, header, signedRequest, withHeaders } from './support.js';

const scheme = getScheme('github');
const SECRET = 'It\'s a Secret to Everybody';
const OTHER = 'another-secret-of-32-characters!';

describe('signatures/github', () => {
  describe('verify', () => {
    it('accepts a correctly signed request', () => {
      expect(scheme.verify(signedRequest(scheme, { secret: SECRET }))).to.deep.equal({ ok: true });
    });

    it('accepts GitHub\'s documented example delivery', () => {
      // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
      const request = {
        ...signedRequest(scheme, { secret: SECRET }),
        rawBody: Buffer.from('Hello, World!'),
        headers: {
          'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
        },
      };
      expect(scheme.verify(request)).to.deep.equal({ ok: true });
    });

    it('accepts a signature made by @octokit/webhooks-methods', async () => {
      const request = withHeaders(signedRequest(scheme, { secret: SECRET }), {
        'x-hub-signature-256': await octokitSign(SECRET, BODY),
      });
      expect(scheme.verify(request)).to.deep.equal({ ok: true });
    });

    it('signs what @octokit/webhooks-methods verifies', async () => {
      const headers = scheme.sign({ secret: SECRET, rawBody: BODY, id: 'd', timestampSeconds: 0 });
      expect(await octokitVerify(SECRET, BODY, header(headers, 'x-hub-signature-256'))).to.equal(true);
    });

    it('requires the sha256= prefix', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      const bare = header(request.headers, 'x-hub-signature-256').slice(7);
      expect(scheme.verify(withHeaders(request, { 'x-hub-signature-256': bare }))).to.deep.equal({
        ok: false,
        code: 'signature_invalid',
      });
    });

    it('rejects a body changed after signing', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      expect(scheme.verify({ ...request, rawBody: Buffer.from(`${BODY} `) })).to.deep.equal({
        ok: false,
        code: 'signature_invalid',
      });
    });

    it('rejects a request signed with a wrong secret', () => {
      const request = signedRequest(scheme, { secret: SECRET });
      expect(scheme.verify({ ...request, secrets: [OTHER] }).ok).to.equal(false);
    });

    it('answers signature_missing without X-Hub-Signature-256, even if the SHA-1 header is sent', () => {
      const request = withHeaders(signedRequest(scheme, { secret: SECRET }), {
        'x-hub-signature-256': undefined,
        'x-hub-signature': 'sha1=0000000000000000000000000000000000000000',
      });
      expect(scheme.verify(request)).to.deep.equal({ ok: false, code: 'signature_missing' });
    });

    it('accepts the old and the new secret during a rotation, and not a removed one', () => {
      for (const secret of [SECRET, OTHER]) {
        expect(scheme.verify({ ...signedRequest(scheme, { secret }), secrets: [OTHER, SECRET] }).ok).to.equal(true);
      }
      expect(scheme.verify({ ...signedRequest(scheme, { secret: SECRET }), secrets: [OTHER] }).ok).to.equal(false);
    });

    it('ignores the clock: the scheme signs no timestamp', () => {
      expect(scheme.verify({ ...signedRequest(scheme, { secret: SECRET }), nowMs: NOW_MS / 2 }).ok).to.equal(true);
    });
  });

  describe('locate', () => {
    const headers = { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-event': 'issues' };

    it('takes the id from X-GitHub-Delivery', () => {
      expect(scheme.locate(headers, {}).id).to.equal('72d3162e-cc78-11e3-81ab-4c9367dc0958');
      expect(scheme.locate({}, { id: 1 }).id).to.equal(undefined);
    });

    it('joins X-GitHub-Event and the body action as <event>.<action>', () => {
      expect(scheme.locate(headers, { action: 'opened' }).type).to.equal('issues.opened');
    });

    it('uses the event alone when the body has no string action', () => {
      expect(scheme.locate(headers, {}).type).to.equal('issues');
      expect(scheme.locate(headers, { action: 3 }).type).to.equal('issues');
      expect(scheme.locate(headers, { action: '' }).type).to.equal('issues');
      expect(scheme.locate(headers, 'not an object').type).to.equal('issues');
    });

    it('finds no type without the event header, whatever the body says', () => {
      expect(scheme.locate({}, { action: 'opened', type: 'x' }).type).to.equal(undefined);
    });
  });

  describe('sign, secrets and headers', () => {
    it('sends the signature, the delivery id and the event, "ping" by default', () => {
      const plain = scheme.sign({ secret: SECRET, rawBody: BODY, id: 'd1', timestampSeconds: 0 });
      expect(plain['x-github-delivery']).to.equal('d1');
      expect(plain['x-github-event']).to.equal('ping');
      expect(plain['x-hub-signature-256']).to.match(/^sha256=[0-9a-f]{64}$/);
      const typed = scheme.sign({ secret: SECRET, rawBody: BODY, id: 'd1', timestampSeconds: 0, type: 'push' });
      expect(typed['x-github-event']).to.equal('push');
    });

    // Changed on purpose (issue 10 item 7): GitHub allows short secrets; they are accepted with a warning.
    it('generates hex secrets that checkSecret accepts, and accepts short ones with a warning', () => {
      expect(scheme.generateSecret()).to.match(/^[0-9a-f]{64}$/);
      expect(scheme.checkSecret(scheme.generateSecret())).to.equal(null);
      expect(scheme.checkSecret('abc')).to.equal(null);
      expect(scheme.warnSecret?.('abc')).to.match(/too short/);
      expect(scheme.checkSecret('')).to.match(/empty/);
    });

    it('redacts both signature headers', () => {
      expect(scheme.signatureHeaders).to.have.members(['x-hub-signature-256', 'x-hub-signature']);
      expect(scheme.relevantHeaders).to.include.members(['x-github-delivery', 'x-github-event', 'x-hub-signature-256']);
      for (const name of scheme.signatureHeaders) expect(scheme.relevantHeaders).to.include(name);
    });
  });
});
