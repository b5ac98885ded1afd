import { expect } from 'chai';
import { headerValue, readHeader } from '../../plugin/signatures/header.js';
import type { RequestHeaders } from '../../plugin/signatures/types.js';

describe('signatures/header', () => {
  it('reads a single value, trimmed', () => {
    expect(readHeader({ 'x-a': ' v ' }, 'x-a')).to.deep.equal({ status: 'present', value: 'v' });
  });

  it('treats a missing, empty or blank header as absent', () => {
    for (const headers of [{}, { 'x-a': '' }, { 'x-a': '   ' }, { 'x-a': undefined }, { 'x-a': [] }]) {
      expect(readHeader(headers, 'x-a').status).to.equal('absent');
    }
  });

  it('takes the only element of a one-value array', () => {
    expect(readHeader({ 'x-a': ['v'] }, 'x-a')).to.deep.equal({ status: 'present', value: 'v' });
  });

  it('refuses several values as ambiguous rather than picking one', () => {
    expect(readHeader({ 'x-a': ['v', 'w'] }, 'x-a').status).to.equal('ambiguous');
    expect(readHeader({ 'x-a': ['v', 'v'] }, 'x-a').status).to.equal('ambiguous');
    expect(headerValue({ 'x-a': ['v', 'w'] }, 'x-a')).to.equal(undefined);
  });

  it('looks up the lower-case name only', () => {
    expect(headerValue({ 'X-A': 'v' }, 'x-a')).to.equal(undefined);
  });

  it('never reads inherited properties or non-string values', () => {
    expect(headerValue({}, 'constructor')).to.equal(undefined);
    expect(headerValue({ 'x-a': 42 } as unknown as RequestHeaders, 'x-a')).to.equal(undefined);
    expect(headerValue({ 'x-a': [42] } as unknown as RequestHeaders, 'x-a')).to.equal(undefined);
  });
});
