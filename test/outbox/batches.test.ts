import { expect } from 'chai';
import { setTimeout as delay } from 'node:timers/promises';
import { runBatches, type BatchStep } from '../../plugin/outbox/batches.js';

/** Ten full batches of `size` copies of the batch's number, then nothing. */
function numberedBatches(apply: (batch: number, keys: number[]) => Promise<number>): BatchStep<number> & { reads: number } {
  const step = {
    reads: 0,
    async next(limit: number) {
      step.reads += 1;
      return step.reads <= 10 ? Array<number>(limit).fill(step.reads) : [];
    },
    apply: (keys: number[]) => apply(keys[0] ?? 0, keys),
  };
  return step;
}

describe('runBatches with several batches in flight', () => {
  it('keeps up to `streams` batches running at once and counts every row once', async () => {
    let inFlight = 0;
    let most = 0;
    const step = numberedBatches(async (_batch, keys) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await delay(5);
      inFlight -= 1;
      return keys.length;
    });
    const progress: number[] = [];
    const run = await runBatches(step, { batchSize: 3, streams: 3, onBatch: (n) => progress.push(n) });
    expect(run).to.deep.equal({ changed: 30, batches: 10, interrupted: false });
    expect(most).to.equal(3);
    expect(progress).to.deep.equal([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
  });

  it('on a failing batch starts no more, waits for those already running, then fails with its error', async () => {
    const finished: number[] = [];
    const step = numberedBatches(async (batch, keys) => {
      await delay(batch === 2 ? 5 : 60);
      if (batch === 2) throw new Error('batch 2 failed');
      finished.push(batch);
      return keys.length;
    });
    const error = await runBatches(step, { batchSize: 3, streams: 3 }).then(() => null, (e: Error) => e);
    expect(error?.message).to.equal('batch 2 failed');
    // Batches 1 and 3 were running when batch 2 failed: the run ended only after both had finished.
    expect(finished).to.have.members([1, 3]);
    expect(step.reads).to.equal(3);
  });

  it('when aborted, starts no more and returns once the running batches are done, counting their rows', async () => {
    const controller = new AbortController();
    const step = numberedBatches(async (batch, keys) => {
      await delay(batch * 5);
      return keys.length;
    });
    const run = await runBatches(step, {
      batchSize: 3,
      streams: 2,
      signal: controller.signal,
      onBatch: () => controller.abort(),
    });
    expect(run.interrupted).to.equal(true);
    expect(run.changed).to.equal(3 * run.batches);
    expect(run.batches).to.equal(step.reads);
  });
});
