import { expect } from 'chai';
import { countDeadSince, readBacklog } from '../../plugin/store/backlog.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { migrateLatest } from '../../plugin/store/migrate.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { seedOutboxRow } from './support.js';

const MINUTE = 60_000;

describeEachDatabase('backlog figures for health and alerts', (db) => {
  before(async () => {
    const { knex } = db();
    await migrateLatest(knex, dialectOf(knex));
    await seedOutboxRow(knex, { eventId: 'fresh', status: 'pending', ageMs: 2000 });
    await seedOutboxRow(knex, { eventId: 'late', status: 'pending', ageMs: 30 * MINUTE, dueInMs: -20 * MINUTE });
    await seedOutboxRow(knex, { eventId: 'retrying', status: 'pending', ageMs: 120 * MINUTE, dueInMs: 60 * MINUTE });
    await seedOutboxRow(knex, { eventId: 'running', status: 'processing' });
    await seedOutboxRow(knex, { eventId: 'finished', status: 'done' });
    await seedOutboxRow(knex, { eventId: 'died-now', status: 'dead', ageMs: 10 * MINUTE, processedAgoMs: MINUTE });
    await seedOutboxRow(knex, { eventId: 'died-long-ago', status: 'dead', ageMs: 90 * MINUTE, processedAgoMs: 60 * MINUTE });
  });

  it('counts the backlog and the dead, and tells overdue from merely old', async () => {
    const backlog = await readBacklog(db().knex, dialectOf(db().knex));
    expect(backlog).to.include({ pending: 3, processing: 1, dead: 2 });
    expect(backlog.oldestPendingAgeSeconds).to.be.within(120 * 60 - 5, 120 * 60 + 5);
    expect(backlog.overdueSeconds).to.be.within(20 * 60 - 5, 20 * 60 + 5);
  });

  it('counts the rows that went dead since a given time', async () => {
    expect(await countDeadSince(db().knex, Date.now() - 5 * MINUTE)).to.equal(1);
    expect(await countDeadSince(db().knex, Date.now() - 120 * MINUTE)).to.equal(2);
  });

  it('reports no age when nothing is pending', async () => {
    await db().knex('webhook_outbox').where('status', 'pending').update({ status: 'done' });
    const backlog = await readBacklog(db().knex, dialectOf(db().knex));
    expect(backlog).to.include({ pending: 0, oldestPendingAgeSeconds: null, overdueSeconds: null });
  });
});
