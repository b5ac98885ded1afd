import { expect } from 'chai';
import { createOutboxAdmin, type OutboxAdmin } from '../../plugin/outbox/outbox-admin.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { readOutboxStats } from '../../plugin/store/outbox-stats.js';
import { systemClock } from '../../plugin/types.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost } from '../helpers/host.js';
import { post, signedPost } from '../helpers/requests.js';
import { clearOutbox, many, migrated, seedEvents } from './seed.js';

describeEachDatabase('outbox stats', (db) => {
  let admin: OutboxAdmin;

  before(async () => {
    await migrated(db().knex);
    admin = createOutboxAdmin({ knex: db().knex, dialect: dialectOf(db().knex), clock: systemClock });
  });
  beforeEach(async () => clearOutbox(db().knex));

  it('reports every status with zero counts and no age on an empty outbox', async () => {
    expect(await admin.stats()).to.deep.equal({
      byStatus: { pending: 0, processing: 0, done: 0, dead: 0 },
      byPartner: {},
      oldestPendingAgeSeconds: null,
    });
  });

  it('counts rows by status and by partner', async () => {
    await seedEvents(db().knex, [
      { eventId: 'a1', status: 'pending' },
      { eventId: 'a2', status: 'pending' },
      { eventId: 'a3', status: 'done' },
      { eventId: 'b1', partner: 'beta', status: 'dead' },
      { eventId: 'b2', partner: 'beta', status: 'processing' },
    ]);
    const stats = await admin.stats();
    expect(stats.byStatus).to.deep.equal({ pending: 2, processing: 1, done: 1, dead: 1 });
    expect(stats.byPartner).to.deep.equal({
      acme: { pending: 2, processing: 0, done: 1, dead: 0 },
      beta: { pending: 0, processing: 1, done: 0, dead: 1 },
    });
  });

  it('keeps partners named like Object built-ins as ordinary keys', async () => {
    await seedEvents(db().knex, [
      { eventId: 'p1', partner: '__proto__', status: 'pending' },
      { eventId: 'c1', partner: 'constructor', status: 'done' },
    ]);
    const stats = await admin.stats();
    expect(Object.keys(stats.byPartner)).to.deep.equal(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(stats)).byPartner.__proto__).to.deep.equal({ pending: 1, processing: 0, done: 0, dead: 0 });
    expect(({} as Record<string, unknown>).pending, 'Object.prototype untouched').to.equal(undefined);
  });

  it('gives the age of the oldest pending event in seconds, ignoring older rows in other states', async () => {
    await seedEvents(db().knex, [
      { eventId: 'new', status: 'pending', receivedAgoMs: 5_000 },
      { eventId: 'old', status: 'pending', receivedAgoMs: 120_000 },
      { eventId: 'older-but-dead', status: 'dead', receivedAgoMs: 3_600_000 },
    ]);
    const { oldestPendingAgeSeconds } = await admin.stats();
    // Seeded from this host's clock, measured by the database's: allow a little skew and run time.
    expect(oldestPendingAgeSeconds).to.be.within(118, 125);
  });

  // Issue 16: counting millions of done rows takes seconds, so past a bound a status is estimated
  // from a sample of its id span (MySQL/MariaDB only); the small statuses stay exact.
  it('estimates only a status with more rows than the bound, keeps the others and rare partners exact, and counts all with exact', async function () {
    this.timeout(60_000);
    const partners = ['acme', 'beta'];
    await seedEvents(db().knex, [
      ...Array.from({ length: 1000 }, (_, i) => ({ eventId: `d-${i}`, partner: partners[i % 2], status: 'done' as const })),
      ...many(3, 'rare', { partner: 'rare', status: 'done' }),
      ...many(4, 'p', { status: 'pending' }),
      ...many(2, 'x', { partner: 'beta', status: 'dead' }),
    ]);
    const dialect = dialectOf(db().knex);
    const limits = { exactUpTo: 100, sampleIds: 200 };
    const { stats, estimated } = await readOutboxStats(db().knex, dialect, { limits });
    expect(stats.byStatus).to.include({ pending: 4, processing: 0, dead: 2 });
    expect(stats.byPartner.rare?.done, 'a partner with few rows is counted').to.equal(3);
    if (db().kind === 'mysql') {
      expect(estimated).to.deep.equal(['done']);
      for (const partner of partners) expect(stats.byPartner[partner]?.done, partner).to.be.within(400, 600);
      expect(stats.byStatus.done).to.equal(stats.byPartner.acme!.done + stats.byPartner.beta!.done + 3);
    } else {
      expect(estimated, 'SQLite always counts').to.deep.equal([]);
      expect(stats.byStatus.done).to.equal(1003);
    }
    const exact = await readOutboxStats(db().knex, dialect, { limits, exact: true });
    expect(exact.estimated).to.deep.equal([]);
    expect(exact.stats.byPartner).to.deep.equal({
      acme: { pending: 4, processing: 0, done: 500, dead: 0 },
      beta: { pending: 0, processing: 0, done: 500, dead: 2 },
      rare: { pending: 0, processing: 0, done: 3, dead: 0 },
    });
    expect(await admin.stats({ exact: true })).to.deep.equal(exact.stats);
  });

  it('counts events accepted through the real receive path as pending', async () => {
    const host = await startTestHost(db().knex);
    try {
      await host.plugin.partners.add({ slug: 'live', secret: 'live-secret-0123456789abcdef' });
      for (const id of ['e1', 'e2']) {
        const response = await post(host.url('live'), signedPost('hmac-sha256', 'live-secret-0123456789abcdef', { id, type: 't' }));
        expect(response.status).to.equal(202);
      }
    } finally {
      await host.close();
    }
    const stats = await admin.stats();
    expect(stats.byPartner.live).to.deep.equal({ pending: 2, processing: 0, done: 0, dead: 0 });
    expect(stats.oldestPendingAgeSeconds).to.be.within(0, 5);
  });
});
