import { expect } from 'chai';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { anyBytesEqual, bytesEqual, decodeBase64, decodeHex, hmacSha256 } from '../../plugin/signatures/constant-time.js';

describe('signatures/constant-time', () => {
  describe('bytesEqual', () => {
    it('answers true for equal bytes and false for any difference', () => {
      expect(bytesEqual(Buffer.from('abc'), Buffer.from('abc'))).to.equal(true);
      expect(bytesEqual(Buffer.from('abc'), Buffer.from('abd'))).to.equal(false);
    });

    it('answers false for different lengths instead of throwing', () => {
      expect(bytesEqual(Buffer.from('abc'), Buffer.from('abcd'))).to.equal(false);
      expect(bytesEqual(Buffer.alloc(0), Buffer.from('a'))).to.equal(false);
    });

    it('agrees with Buffer.equals on any input', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
          expect(bytesEqual(a, b)).to.equal(Buffer.from(a).equals(Buffer.from(b)));
        }),
        { numRuns: 200 },
      );
    });
  });

  it('anyBytesEqual finds a match anywhere in either list', () => {
    const a = Buffer.from('a');
    const b = Buffer.from('b');
    const c = Buffer.from('c');
    expect(anyBytesEqual([a, b], [c, b])).to.equal(true);
    expect(anyBytesEqual([a], [b, c])).to.equal(false);
    expect(anyBytesEqual([], [a])).to.equal(false);
    expect(anyBytesEqual([a], [])).to.equal(false);
  });

  it('hmacSha256 over parts equals the HMAC of their concatenation', () => {
    const whole = createHmac('sha256', 'key').update('1.2.body').digest();
    expect(hmacSha256(Buffer.from('key'), ['1.', '2.', Buffer.from('body')]).equals(whole)).to.equal(true);
  });

  describe('decodeHex', () => {
    it('decodes either case', () => {
      expect(decodeHex('0aFf')?.toString('hex')).to.equal('0aff');
      expect(decodeHex('')?.length).to.equal(0);
    });

    it('refuses odd lengths and non-hex characters instead of truncating', () => {
      for (const bad of ['abc', '0g', 'zz', ' 00', '00 ', '0x00']) expect(decodeHex(bad), bad).to.equal(null);
    });
  });

  describe('decodeBase64', () => {
    it('decodes canonical standard base64', () => {
      expect(decodeBase64('aGVsbG8=')?.toString()).to.equal('hello');
    });

    it('refuses base64url, stray characters and wrong padding', () => {
      for (const bad of ['aGVsbG8', 'aGVs bG8=', '-_-_', 'aGVsbG8==', '====', 'a', 'aGVsbG8=x']) {
        expect(decodeBase64(bad), bad).to.equal(null);
      }
    });

    it('refuses non-canonical encodings whose unused bits are set', () => {
      expect(decodeBase64('aGVsbG9=')).to.equal(null);
    });

    it('accepts a missing padding only when allowed', () => {
      expect(decodeBase64('aGVsbG8', { allowUnpadded: true })?.toString()).to.equal('hello');
      expect(decodeBase64('aGVsbG8=', { allowUnpadded: true })?.toString()).to.equal('hello');
    });

    it('round-trips any bytes and never throws on any string', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), fc.string({ unit: 'binary', maxLength: 64 }), (bytes, text) => {
          expect(decodeBase64(Buffer.from(bytes).toString('base64'))?.equals(Buffer.from(bytes))).to.equal(true);
          decodeBase64(text);
          decodeHex(text);
        }),
        { numRuns: 200 },
      );
    });
  });
});
