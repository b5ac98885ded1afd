import { expect } from 'chai';
import { createGroupCommit, type Settled } from '../../plugin/ingest/group-commit.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('group commit batcher', () => {
  it('commits a lone item at once and gathers items that arrive meanwhile into the next batch', async () => {
    const batches: number[][] = [];
    const gate = deferred();
    const batcher = createGroupCommit<number, number>({
      maxBatchSize: 10,
      maxWaiting: 100,
      maxConcurrent: 1,
      overloaded: () => new Error('overloaded'),
      run: async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate.promise;
        return items.map((value) => ({ ok: true, value: value * 2 }));
      },
    });
    const first = batcher.submit(1);
    const rest = [2, 3, 4].map((n) => batcher.submit(n));
    expect(batches).to.deep.equal([[1]]);
    gate.resolve();
    expect(await Promise.all([first, ...rest])).to.deep.equal([2, 4, 6, 8]);
    expect(batches).to.deep.equal([[1], [2, 3, 4]]);
  });

  it('settles each item with its own result, so one failure does not fail the others', async () => {
    const batcher = createGroupCommit<number, number>({
      maxBatchSize: 10,
      maxWaiting: 100,
      maxConcurrent: 1,
      overloaded: () => new Error('overloaded'),
      run: async (items) => items.map((n): Settled<number> => (n === 2 ? { ok: false, error: new Error('bad row') } : { ok: true, value: n })),
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n)));
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('caps the batch size and refuses items beyond the queue limit at once', async () => {
    const batches: number[] = [];
    const gate = deferred();
    const batcher = createGroupCommit<number, number>({
      maxBatchSize: 2,
      maxWaiting: 3,
      maxConcurrent: 1,
      overloaded: () => new Error('overloaded'),
      run: async (items) => {
        batches.push(items.length);
        await gate.promise;
        return items.map((value) => ({ ok: true, value }));
      },
    });
    const accepted = [1, 2, 3, 4].map((n) => batcher.submit(n));
    await Promise.resolve();
    let refused: unknown;
    await batcher.submit(5).catch((error: unknown) => (refused = error));
    expect((refused as Error).message).to.equal('overloaded');
    gate.resolve();
    await Promise.all(accepted);
    expect(batches).to.deep.equal([1, 2, 1]);
  });

  it('counts a unit of several events as its events: batches and the queue limit count events, a lone large unit still gets a batch', async () => {
    const batches: number[][][] = [];
    const gate = deferred();
    const batcher = createGroupCommit<number[], number>({
      maxBatchSize: 4,
      maxWaiting: 5,
      maxConcurrent: 1,
      countOf: (unit) => unit.length,
      overloaded: () => new Error('overloaded'),
      run: async (units) => {
        batches.push(units);
        await gate.promise;
        return units.map((unit) => ({ ok: true, value: unit.length }));
      },
    });
    const big = batcher.submit([1, 2, 3, 4, 5, 6]); // larger than both limits, alone: taken
    const waiting = [batcher.submit([7, 8, 9]), batcher.submit([10, 11])];
    expect(batcher.size).to.equal(11);
    let refused: unknown;
    await batcher.submit([12]).catch((error: unknown) => (refused = error)); // 5 events wait already
    expect((refused as Error).message).to.equal('overloaded');
    gate.resolve();
    expect(await Promise.all([big, ...waiting])).to.deep.equal([6, 3, 2]);
    // [7,8,9] and [10,11] would be 5 events: more than maxBatchSize, so two batches.
    expect(batches).to.deep.equal([[[1, 2, 3, 4, 5, 6]], [[7, 8, 9]], [[10, 11]]]);
  });

  it('keeps at most maxConcurrent batches in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const batcher = createGroupCommit<number, number>({
      maxBatchSize: 1,
      maxWaiting: 100,
      maxConcurrent: 2,
      overloaded: () => new Error('overloaded'),
      run: async (items) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return items.map((value) => ({ ok: true, value }));
      },
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.submit(i)));
    expect(most).to.equal(2);
  });
});

describe('group commit batcher byte limits', () => {
  it('closes a batch before it passes maxBatchBytes, and still commits an item larger than that alone', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = createGroupCommit<number, number>({
      maxBatchSize: 100,
      maxWaiting: 100,
      maxConcurrent: 1,
      sizeOf: (n) => n,
      maxBatchBytes: 10,
      overloaded: () => new Error('overloaded'),
      run: async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate;
        return items.map((value) => ({ ok: true, value }));
      },
    });
    const all = [1, 4, 4, 4, 30, 2].map((n) => batcher.submit(n));
    release();
    await Promise.all(all);
    expect(batches).to.deep.equal([[1], [4, 4], [4], [30], [2]]);
  });

  it('refuses new items with overloaded() once the waiting bytes pass maxWaitingBytes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = createGroupCommit<number, number>({
      maxBatchSize: 100,
      maxWaiting: 100,
      maxConcurrent: 1,
      sizeOf: (n) => n,
      maxWaitingBytes: 10,
      overloaded: () => new Error('overloaded'),
      run: async (items) => {
        await gate;
        return items.map((value) => ({ ok: true, value }));
      },
    });
    const first = batcher.submit(1); // taken at once into the running batch
    const waiting = [batcher.submit(6), batcher.submit(4)];
    const refused = await batcher.submit(1).then(
      () => 'accepted',
      (error: Error) => error.message,
    );
    expect(refused).to.equal('overloaded');
    release();
    expect(await Promise.all([first, ...waiting])).to.deep.equal([1, 6, 4]);
  });
});
