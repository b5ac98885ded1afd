import { expect } from 'chai';
import { retryDelayMs } from '../../plugin/worker/backoff.js';

const defaults = { initialMs: 10_000, factor: 2, maxMs: 6 * 3600_000, jitter: 0.2 };

describe('retry backoff', () => {
  it('waits about 10 s before the first retry and doubles after each failure', () => {
    const delays = [1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, defaults, () => 0));
    expect(delays).to.deep.equal([10_000, 20_000, 40_000, 80_000]);
  });

  it('never waits longer than the cap', () => {
    expect(retryDelayMs(30, defaults, () => 0)).to.equal(6 * 3600_000);
  });

  it('shortens each delay by at most the jitter fraction, so a burst of retries spreads out', () => {
    expect(retryDelayMs(1, defaults, () => 1)).to.equal(8_000);
    expect(retryDelayMs(1, defaults, () => 0.5)).to.equal(9_000);
    const spread = new Set(Array.from({ length: 50 }, (_, i) => retryDelayMs(2, defaults, () => i / 50)));
    expect(spread.size).to.equal(50);
  });
});
