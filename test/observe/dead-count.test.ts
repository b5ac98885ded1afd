import { expect } from 'chai';
import { createDeadCount } from '../../plugin/observe/dead-count.js';

describe('running dead-row figure', () => {
  function setup() {
    const calls = { before: [] as number[], since: [] as number[] };
    const state = { nowMs: 1_000_000, older: 50_000, recent: 0 };
    const read = createDeadCount({
      countBefore: async (beforeMs) => {
        calls.before.push(beforeMs);
        return state.older;
      },
      countSince: async (sinceMs) => {
        calls.since.push(sinceMs);
        return state.recent;
      },
      dbNow: () => state.nowMs,
      clock: { now: () => state.nowMs },
      recountMs: 60_000,
    });
    return { read, calls, state };
  }

  it('counts the older dead rows once per recount period and only the recent ones on each read', async () => {
    const { read, calls, state } = setup();
    expect(await read()).to.equal(50_000);
    state.recent = 3;
    state.nowMs += 10_000;
    expect(await read()).to.equal(50_003);
    expect(await read()).to.equal(50_003);
    expect(calls.before).to.have.length(1);
    expect(calls.since).to.have.length(3);
    // The recent range starts a minute before the base, so rows stamped by a lagging clock are counted.
    expect(calls.since.every((since) => since === 1_000_000 - 60_000)).to.equal(true);
  });

  it('picks up rows that left the older part (replayed, pruned) at the next recount', async () => {
    const { read, calls, state } = setup();
    await read();
    state.older = 49_000;
    state.nowMs += 59_999;
    expect(await read()).to.equal(50_000);
    state.nowMs += 1;
    expect(await read()).to.equal(49_000);
    expect(calls.before).to.have.length(2);
  });
});
