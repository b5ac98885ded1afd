import { expect } from 'chai';
import { isFreshTimestamp, isWithinTolerance, parseUnixSeconds } from '../../plugin/signatures/timestamp.js';

describe('signatures/timestamp', () => {
  describe('parseUnixSeconds', () => {
    it('parses plain decimal seconds', () => {
      expect(parseUnixSeconds('1614265330')).to.equal(1614265330);
      expect(parseUnixSeconds('0')).to.equal(0);
      expect(parseUnixSeconds('999999999999')).to.equal(999999999999);
    });

    it('refuses signs, fractions, spaces, exponents, hex, leading zeros and absurd lengths', () => {
      for (const bad of ['', '-1', '+1', '1.5', ' 1', '1 ', '1e9', '0x10', '01614265330', '1000000000000', '１２', 'NaN']) {
        expect(parseUnixSeconds(bad), bad).to.equal(null);
      }
    });
  });

  describe('isWithinTolerance', () => {
    const now = 1_700_000_000;

    it('accepts the boundary both ways and refuses one second beyond', () => {
      expect(isWithinTolerance(now - 300, now * 1000, 300)).to.equal(true);
      expect(isWithinTolerance(now + 300, now * 1000, 300)).to.equal(true);
      expect(isWithinTolerance(now - 301, now * 1000, 300)).to.equal(false);
      expect(isWithinTolerance(now + 301, now * 1000, 300)).to.equal(false);
    });

    it('truncates now to whole seconds as the reference libraries do', () => {
      expect(isWithinTolerance(now - 300, now * 1000 + 999, 300)).to.equal(true);
      expect(isWithinTolerance(now + 301, now * 1000 + 999, 300)).to.equal(false);
    });

    it('accepts nothing with a negative or NaN tolerance', () => {
      expect(isWithinTolerance(now, now * 1000, -1)).to.equal(false);
      expect(isWithinTolerance(now, now * 1000, Number.NaN)).to.equal(false);
    });
  });

  it('isFreshTimestamp parses and checks in one step', () => {
    expect(isFreshTimestamp('1700000000', 1_700_000_000_000, 0)).to.equal(true);
    expect(isFreshTimestamp('1700000001', 1_700_000_000_000, 0)).to.equal(false);
    expect(isFreshTimestamp('x', 1_700_000_000_000, 300)).to.equal(false);
  });
});
