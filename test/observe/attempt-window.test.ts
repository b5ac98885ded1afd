import { expect } from 'chai';
import { createAttemptWindow } from '../../plugin/observe/attempt-window.js';

describe('attempt window for the failure ratio', () => {
  it('counts retries and dead attempts as failures, lease losses as neither', () => {
    const clock = { now: () => 1_000_000 };
    const window = createAttemptWindow(clock, 60_000);
    for (const outcome of ['done', 'unhandled', 'retry', 'dead', 'lease_lost'] as const) window.attempt('acme', outcome, 0.01);
    expect(window.totals()).to.deep.equal({ attempts: 4, failed: 2 });
  });

  it('forgets attempts older than the window', () => {
    let now = 5_000_000;
    const window = createAttemptWindow({ now: () => now }, 60_000);
    window.attempt('acme', 'retry', 0.01);
    now += 30_000;
    window.attempt('acme', 'done', 0.01);
    expect(window.totals()).to.deep.equal({ attempts: 2, failed: 1 });
    now += 31_000;
    expect(window.totals()).to.deep.equal({ attempts: 1, failed: 0 });
    now += 10 * 60_000;
    expect(window.totals()).to.deep.equal({ attempts: 0, failed: 0 });
    window.attempt('acme', 'dead', 0.01);
    expect(window.totals()).to.deep.equal({ attempts: 1, failed: 1 });
  });
});
