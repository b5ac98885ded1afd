import { expect } from 'chai';
import sinon from 'sinon';
import type { IntervalHistogram } from 'node:perf_hooks';
import { createEventLoopGuard } from '../../plugin/observe/event-loop.js';

/** A histogram whose p99 the test sets (in ms, plus the 10 ms sampling interval, as Node reports it). */
function fakeHistogram() {
  let p99Ms = 10;
  const histogram = {
    count: 1,
    percentile: () => p99Ms * 1e6,
    reset: () => undefined,
    enable: () => true,
    disable: () => true,
  } as unknown as IntervalHistogram;
  return { histogram, setDelay: (ms: number) => (p99Ms = 10 + ms) };
}

describe('event-loop guard (unit)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = sinon.useFakeTimers()));
  afterEach(() => clock.restore());

  it('turns busy past the threshold, tells each change once, and clears when the loop keeps up', () => {
    const fake = fakeHistogram();
    const changes: boolean[] = [];
    const guard = createEventLoopGuard({ maxDelayMs: 50, monitor: () => fake.histogram, now: () => clock.now, onChange: (busy) => changes.push(busy) });
    expect(guard.busy()).to.equal(false);
    fake.setDelay(80);
    clock.tick(100);
    expect(guard.busy()).to.equal(true);
    clock.tick(300); // still behind: no second notice
    expect(guard.delayMs()).to.equal(80);
    fake.setDelay(5);
    clock.tick(100);
    expect(guard.busy()).to.equal(false);
    expect(changes).to.deep.equal([true, false]);
    guard.stop();
  });

  it('measures but never sheds when switched off (0)', () => {
    const fake = fakeHistogram();
    const guard = createEventLoopGuard({ maxDelayMs: 0, monitor: () => fake.histogram, now: () => clock.now });
    expect(guard.maxDelayMs).to.equal(null);
    guard.delayMs();
    fake.setDelay(500);
    clock.tick(100);
    expect(guard.delayMs()).to.equal(500);
    expect(guard.busy()).to.equal(false);
    guard.stop();
  });
});
