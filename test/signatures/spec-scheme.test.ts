import { createHash, createHmac } from 'node:crypto';
import { expect } from 'chai';
import { parseSignatureSpec, type SignatureSpecInput } from '../../plugin/signatures/signature-spec.js';
import { createSpecScheme } from '../../plugin/signatures/spec-scheme.js';
import type { VerifyRequest } from '../../plugin/signatures/types.js';
import { NOW_MS, NOW_S, TOLERANCE } from './support.js';

const SECRET = 'spec-secret-0123456789abcdef';

function scheme(input: SignatureSpecInput, publicUrl?: string) {
  const parsed = parseSignatureSpec(input);
  if (!parsed.ok) throw new Error(parsed.error);
  return createSpecScheme(parsed.spec, publicUrl === undefined ? {} : { publicUrl });
}

function request(body: string, headers: Record<string, string>, secrets = [SECRET]): VerifyRequest {
  return { rawBody: Buffer.from(body), headers: { 'content-type': 'application/json', ...headers }, secrets, nowMs: NOW_MS, toleranceSeconds: TOLERANCE };
}

const hmac = (algorithm: string, key: string | Buffer, text: string) => createHmac(algorithm, key).update(text).digest();

describe('signatures/spec-scheme', () => {
  describe('parseSignatureSpec', () => {
    it('refuses a bad spec with one line naming the field', () => {
      const bad = parseSignatureSpec({ signature: { from: 'cookie:x' }, algorithm: 'hmac-sha256', encoding: 'hex', content: ['body'] });
      expect(bad).to.deep.equal({ ok: false, error: 'invalid signature spec: signature.from: expected header:<lower-case name> or body:<dot.path>' });
      const md5 = parseSignatureSpec({ signature: { from: 'header:x-sig' }, algorithm: 'md5', encoding: 'hex', content: ['body'] });
      expect(md5.ok).to.equal(false);
      expect(md5.ok ? '' : md5.error).to.match(/^invalid signature spec: algorithm: /).and.not.include('\n');
    });

    it('refuses a content template that signs a timestamp it cannot find', () => {
      const parsed = parseSignatureSpec({ signature: { from: 'header:x-sig' }, algorithm: 'hmac-sha256', encoding: 'hex', content: ['timestamp', 'body'] });
      expect(parsed.ok ? '' : parsed.error).to.include('timestamp: the content signs a timestamp');
    });

    it('refuses unknown fields, so a typo is not silently ignored', () => {
      const parsed = parseSignatureSpec({ signature: { from: 'header:x-sig' }, algorithm: 'hmac-sha256', encoding: 'hex', content: ['body'], tolerance: 5 });
      expect(parsed.ok).to.equal(false);
    });
  });

  it('verifies a hex HMAC-SHA256 with a required prefix, and refuses it without', () => {
    const s = scheme({ signature: { from: 'header:x-sig', prefix: 'sha256=', prefixRequired: true }, algorithm: 'hmac-sha256', encoding: 'hex', content: ['body'] });
    const digest = hmac('sha256', SECRET, '{"a":1}').toString('hex');
    expect(s.verify(request('{"a":1}', { 'x-sig': `sha256=${digest}` }))).to.deep.equal({ ok: true });
    expect(s.verify(request('{"a":1}', { 'x-sig': digest }))).to.deep.equal({ ok: false, code: 'signature_invalid' });
    expect(s.verify(request('{"a":2}', { 'x-sig': `sha256=${digest}` }))).to.deep.equal({ ok: false, code: 'signature_invalid' });
    expect(s.verify(request('{"a":1}', {}))).to.deep.equal({ ok: false, code: 'signature_missing' });
  });

  it('reads key=value pairs with the timestamp among them, and checks it against the tolerance', () => {
    const s = scheme({
      signature: { from: 'header:x-sig', pairs: { separator: ';', key: 'h1' } },
      algorithm: 'hmac-sha512',
      encoding: 'base64url',
      content: ['timestamp', { literal: ':' }, 'body'],
      timestamp: { from: 'pair:ts' },
    });
    const sign = (ts: number) => `ts=${ts};h1=${hmac('sha512', SECRET, `${ts}:{}`).toString('base64url')}`;
    expect(s.verify(request('{}', { 'x-sig': sign(NOW_S) }))).to.deep.equal({ ok: true });
    expect(s.verify(request('{}', { 'x-sig': `h1=other;${sign(NOW_S)}` }))).to.deep.equal({ ok: true });
    expect(s.verify(request('{}', { 'x-sig': sign(NOW_S - TOLERANCE - 1) }))).to.deep.equal({ ok: false, code: 'timestamp_invalid' });
    expect(s.verify(request('{}', { 'x-sig': `${sign(NOW_S)};ts=${NOW_S + 1}` }))).to.deep.equal({ ok: false, code: 'signature_invalid' });
  });

  it('checks only the age when the spec says so, accepting a timestamp from the future', () => {
    const spec: SignatureSpecInput = {
      signature: { from: 'header:x-sig' },
      algorithm: 'hmac-sha256',
      encoding: 'base64',
      content: ['body', 'timestamp'],
      timestamp: { from: 'header:x-ts', format: 'ms', window: 'age' },
    };
    const s = scheme(spec);
    const at = (ms: number) => request('{}', { 'x-ts': String(ms), 'x-sig': hmac('sha256', SECRET, `{}${ms}`).toString('base64') });
    expect(s.verify(at(NOW_MS + 3_600_000)).ok).to.equal(true);
    expect(s.verify(at(NOW_MS - (TOLERANCE + 1) * 1000))).to.deep.equal({ ok: false, code: 'timestamp_invalid' });
    expect(scheme({ ...spec, timestamp: { from: 'header:x-ts', format: 'ms' } }).verify(at(NOW_MS + 3_600_000)).ok).to.equal(false);
  });

  it('accepts any of several space-separated entries (rotation) with a whsec_ secret given with or without its prefix', () => {
    const key = Buffer.alloc(24, 5);
    const s = scheme({
      signature: { from: 'header:x-sig', prefix: 'v1,', list: 'space' },
      algorithm: 'hmac-sha256',
      encoding: 'base64',
      secret: 'whsec',
      content: ['id', { literal: '.' }, 'body'],
      id: ['header:x-id'],
    });
    const good = `v1,${hmac('sha256', key, 'e1.{}').toString('base64')}`;
    for (const secret of [`whsec_${key.toString('base64')}`, key.toString('base64')]) {
      expect(s.verify(request('{}', { 'x-id': 'e1', 'x-sig': `v1,AAAA ${good}` }, [secret]))).to.deep.equal({ ok: true });
    }
    expect(s.verify(request('{}', { 'x-id': 'e2', 'x-sig': good }, [`whsec_${key.toString('base64')}`])).ok).to.equal(false);
  });

  it('signs the method, public URL and sorted form fields, and refuses without a public URL', () => {
    const spec: SignatureSpecInput = { body: 'form', signature: { from: 'header:x-sig' }, algorithm: 'hmac-sha1', encoding: 'base64', content: ['method', 'url', 'form-sorted'] };
    const url = 'https://crm.example/plugins/webhooks/acme?x=1';
    const body = 'b=2&a=1&c=%20';
    const sig = hmac('sha1', SECRET, `POST${url}a1b2c `).toString('base64');
    expect(scheme(spec, url).verify(request(body, { 'x-sig': sig })).ok).to.equal(true);
    expect(scheme(spec).verify(request(body, { 'x-sig': sig })).ok).to.equal(false);
  });

  it('takes the signature and signed values from the body when the spec says so', () => {
    const s = scheme({
      signature: { from: 'body:sig.value' },
      algorithm: 'hmac-sha256',
      encoding: 'hex',
      content: ['timestamp', { from: 'body:sig.token' }],
      timestamp: { from: 'body:sig.ts' },
      id: ['body:id'],
    });
    const value = hmac('sha256', SECRET, `${NOW_S}tok`).toString('hex');
    const body = JSON.stringify({ id: 'e1', sig: { ts: NOW_S, token: 'tok', value } });
    expect(s.verify(request(body, {}))).to.deep.equal({ ok: true });
    expect(s.verify(request(body.replace('"token":"tok"', '"token":"tox"'), {})).ok).to.equal(false);
    expect(s.verify(request('not json', {}))).to.deep.equal({ ok: false, code: 'signature_missing' });
  });

  it('plain SHA-256 of secret + content is what HubSpot v1 means, not an HMAC', () => {
    const s = scheme({ signature: { from: 'header:x-sig' }, algorithm: 'sha256', encoding: 'hex', content: ['body'] });
    const good = createHash('sha256').update(`${SECRET}{}`).digest('hex');
    expect(s.verify(request('{}', { 'x-sig': good })).ok).to.equal(true);
    expect(s.verify(request('{}', { 'x-sig': hmac('sha256', SECRET, '{}').toString('hex') })).ok).to.equal(false);
  });

  it('signs requests its own verify accepts, and names its headers for storage and redaction', () => {
    const s = scheme({
      signature: { from: 'header:x-sig', pairs: { separator: ',', key: 'v1' } },
      algorithm: 'hmac-sha256',
      encoding: 'hex',
      content: ['timestamp', { literal: '.' }, 'body'],
      timestamp: { from: 'pair:t' },
      id: ['header:x-id'],
    });
    const headers = s.sign({ secret: SECRET, rawBody: '{}', id: 'e1', timestampSeconds: NOW_S });
    expect(headers['x-sig']).to.match(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(s.verify(request('{}', headers)).ok).to.equal(true);
    expect(s.relevantHeaders).to.include.members(['content-type', 'x-sig', 'x-id']);
    expect(s.signatureHeaders).to.deep.equal(['x-sig']);
    expect(s.signsIdOrTimestamp).to.equal(true);
  });
});
