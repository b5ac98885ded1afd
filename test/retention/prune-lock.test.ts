import { expect } from 'chai';
import { dialectOf } from '../../plugin/store/dialect.js';
import { acquireLock, readLock, releaseLock } from '../../plugin/store/locks.js';
import { migrateLatest } from '../../plugin/store/migrate.js';
import { describeEachDatabase } from '../helpers/databases.js';

describeEachDatabase('lease rows in webhook_locks', (db) => {
  const t0 = Date.parse('2026-12-01T10:00:00.000Z');
  const lease = (holder: string, nowMs: number) => acquireLock(db().knex, dialectOf(db().knex), { name: 'test-lease', holder, nowMs, ttlMs: 10_000 });

  before(async () => {
    await migrateLatest(db().knex, dialectOf(db().knex));
  });

  it('gives a free lease to the first asker and refuses the others until it expires', async () => {
    expect(await lease('a', t0)).to.equal(true);
    expect(await lease('b', t0 + 1000)).to.equal(false);
    expect(await lease('a', t0 + 5000)).to.equal(true); // renewed: now until t0 + 15 s
    expect(await lease('b', t0 + 12_000)).to.equal(false);
    expect(await lease('b', t0 + 15_001)).to.equal(true);
    expect(await lease('a', t0 + 16_000)).to.equal(false);
    expect((await readLock(db().knex, dialectOf(db().knex), 'test-lease'))?.holder).to.equal('b');
  });

  it('frees a released lease at once, and only for its holder', async () => {
    const now = t0 + 20_000;
    expect(await releaseLock(db().knex, { name: 'test-lease', holder: 'a', nowMs: now })).to.equal(false);
    expect(await lease('a', now)).to.equal(false);
    expect(await releaseLock(db().knex, { name: 'test-lease', holder: 'b', nowMs: now })).to.equal(true);
    expect(await lease('a', now + 1)).to.equal(true);
  });

  it('grants a new lease to exactly one of many simultaneous askers', async () => {
    const holders = Array.from({ length: 8 }, (_, i) => `racer-${i}`);
    const results = await Promise.all(
      holders.map((holder) => acquireLock(db().knex, dialectOf(db().knex), { name: 'race', holder, nowMs: t0, ttlMs: 10_000 })),
    );
    expect(results.filter(Boolean)).to.have.length(1);
  });
});
