import { expect } from 'chai';
import { formatAge, parseDuration } from '../../scripts/cli/duration.js';

describe('durations for --older-than', () => {
  it('reads seconds, minutes, hours, days and weeks', () => {
    expect(parseDuration('45s')).to.equal(45_000);
    expect(parseDuration('90m')).to.equal(90 * 60_000);
    expect(parseDuration('12h')).to.equal(12 * 3_600_000);
    expect(parseDuration('30d')).to.equal(30 * 86_400_000);
    expect(parseDuration('2w')).to.equal(14 * 86_400_000);
    expect(parseDuration('7D')).to.equal(7 * 86_400_000);
  });

  it('refuses a bare number, zero, fractions, negative and unknown units instead of guessing', () => {
    for (const text of ['30', '0d', '1.5d', '-3d', '3y', 'd', '', '30 days']) {
      expect(() => parseDuration(text), text).to.throw(/duration/);
    }
  });

  it('refuses windows past ten years', () => {
    expect(() => parseDuration('600w')).to.throw(/too long/);
  });

  it('shows ages in the two largest units', () => {
    expect(formatAge(42)).to.equal('42s');
    expect(formatAge(90)).to.equal('1m 30s');
    expect(formatAge(3 * 3600 + 5 * 60 + 9)).to.equal('3h 5m');
    expect(formatAge(2 * 86_400 + 60)).to.equal('2d 0h');
  });
});
