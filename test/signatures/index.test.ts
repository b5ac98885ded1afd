import { ConfigError } from '../../plugin/errors.js';
import {
  BUILT_IN_SCHEME_NAMES,
  DEFAULT_SCHEME,
  SCHEME_NAMES,
  builtInSignatureHeaders,
  getScheme,
  isSchemeName,
  type BuiltInSchemeName,
} from '../../plugin/signatures/index.js';
import { expect } from 'chai';

describe('signatures/index', () => {
  it('lists the four code schemes with hmac-sha256 first as the default, then custom', () => {
    expect(BUILT_IN_SCHEME_NAMES).to.deep.equal(['hmac-sha256', 'standard-webhooks', 'stripe', 'github']);
    expect(SCHEME_NAMES).to.deep.equal([...BUILT_IN_SCHEME_NAMES, 'custom']);
    expect(DEFAULT_SCHEME).to.equal(SCHEME_NAMES[0]);
  });

  it('derives the signature headers to redact from the schemes themselves', () => {
    expect(builtInSignatureHeaders()).to.have.members(['x-webhook-signature', 'webhook-signature', 'svix-signature', 'stripe-signature', 'x-hub-signature', 'x-hub-signature-256']);
  });

  it('returns the scheme of each name', () => {
    for (const name of BUILT_IN_SCHEME_NAMES) expect(getScheme(name).name).to.equal(name);
  });

  it('throws a ConfigError naming the choices for an unknown scheme', () => {
    expect(() => getScheme('md5' as BuiltInSchemeName)).to.throw(ConfigError, /hmac-sha256, standard-webhooks, stripe, github/);
    expect(() => getScheme('constructor' as BuiltInSchemeName)).to.throw(ConfigError);
  });

  it('recognises scheme names and nothing else', () => {
    expect(isSchemeName('stripe')).to.equal(true);
    for (const value of ['Stripe', '', 'toString', null, 1, ['stripe']]) expect(isSchemeName(value)).to.equal(false);
  });

  it('cannot be mutated at run time', () => {
    expect(Object.isFrozen(SCHEME_NAMES)).to.equal(true);
    for (const name of BUILT_IN_SCHEME_NAMES) {
      const scheme = getScheme(name);
      expect(Object.isFrozen(scheme), name).to.equal(true);
      expect(Object.isFrozen(scheme.relevantHeaders), name).to.equal(true);
      expect(Object.isFrozen(scheme.signatureHeaders), name).to.equal(true);
    }
  });

  it('keeps every signature header among the relevant ones, all lower-case', () => {
    for (const name of BUILT_IN_SCHEME_NAMES) {
      const scheme = getScheme(name);
      for (const header of scheme.signatureHeaders) expect(scheme.relevantHeaders, name).to.include(header);
      for (const header of scheme.relevantHeaders) expect(header).to.equal(header.toLowerCase());
      expect(scheme.relevantHeaders).to.include('content-type');
    }
  });

  it('signs with headers that its own verify names as relevant', () => {
    for (const name of BUILT_IN_SCHEME_NAMES) {
      const scheme = getScheme(name);
      const headers = scheme.sign({ secret: scheme.generateSecret(), rawBody: '{}', id: 'e1', timestampSeconds: 1 });
      for (const header of Object.keys(headers)) expect(scheme.relevantHeaders, name).to.include(header);
    }
  });
});
