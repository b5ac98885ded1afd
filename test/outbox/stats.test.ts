import { expect } from 'chai';
import { createOutboxAdmin, type OutboxAdmin } from '../../plugin/outbox/outbox-admin.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { systemClock } from '../../plugin/types.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost } from '../helpers/host.js';
import { post, signedPost } from '../helpers/requests.js';
import { clearOutbox, migrated, seedEvents } from './seed.js';

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
