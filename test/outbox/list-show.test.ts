import { expect } from 'chai';
import { WebhookError } from '../../plugin/errors.js';
import { createOutboxAdmin, type OutboxAdmin } from '../../plugin/outbox/outbox-admin.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { toDbTime } from '../../plugin/store/time.js';
import { systemClock } from '../../plugin/types.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { clearOutbox, many, migrated, seedEvents } from './seed.js';

async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(WebhookError);
    return error as WebhookError;
  }
  throw new Error('expected a rejection');
}

describeEachDatabase('outbox list and show', (db) => {
  let admin: OutboxAdmin;
  let ids: Map<string, number>;

  before(async () => {
    await migrated(db().knex);
    await clearOutbox(db().knex);
    admin = createOutboxAdmin({ knex: db().knex, dialect: dialectOf(db().knex), clock: systemClock });
    ids = await seedEvents(db().knex, [
      ...many(60, 'p', { status: 'pending' }),
      { eventId: 'dead-1', status: 'dead', lastError: 'Error: CRM said no', attempts: 10 },
      { eventId: 'beta-1', partner: 'beta', status: 'done' },
      { eventId: 'odd', payload: 'not json {', headers: { 'x-webhook-id': 'odd', 'x-webhook-signature': '[redacted]' } },
    ]);
  });

  it('lists the newest 50 rows first by default', async () => {
    const rows = await admin.list({});
    expect(rows).to.have.length(50);
    const listed = rows.map((r) => r.id);
    expect(listed).to.deep.equal([...listed].sort((a, b) => b - a));
    expect(listed[0]).to.equal(ids.get('odd'));
  });

  it('filters by status and by partner, and honours the limit', async () => {
    expect((await admin.list({ status: 'dead' })).map((r) => r.eventId)).to.deep.equal(['dead-1']);
    expect((await admin.list({ partner: 'beta' })).map((r) => r.eventId)).to.deep.equal(['beta-1']);
    expect(await admin.list({ partner: 'beta', status: 'pending' })).to.deep.equal([]);
    expect(await admin.list({ status: 'pending', limit: 7 })).to.have.length(7);
    expect(await admin.list({ limit: 1000 })).to.have.length(63);
  });

  it('shows times as ISO-8601 UTC whatever the driver timezone', async () => {
    const at = Date.UTC(2026, 0, 15, 8, 30, 0, 123);
    await db().knex('webhook_outbox').where('id', ids.get('dead-1')).update({ received_at: toDbTime(at) });
    const [row] = await admin.list({ status: 'dead' });
    expect(row).to.deep.include({ eventId: 'dead-1', partner: 'acme', status: 'dead', attempts: 10, lastError: 'Error: CRM said no' });
    expect(row!.receivedAt).to.equal('2026-01-15T08:30:00.123Z');
    expect(row).not.to.have.property('payload');
  });

  it('refuses a status, limit or partner outside what exists', async () => {
    expect((await rejection(admin.list({ status: 'lost' as never }))).status).to.equal(400);
    expect((await rejection(admin.list({ limit: 1001 }))).status).to.equal(400);
    expect((await rejection(admin.list({ limit: 0 }))).status).to.equal(400);
    expect((await rejection(admin.list({ partner: 'Not A Slug' }))).status).to.equal(400);
  });

  it('shows one row with its payload parsed and its headers as stored', async () => {
    const detail = await admin.show(ids.get('p-00003')!);
    expect(detail.payload).to.deep.equal({ id: 'p-00003' });
    expect(detail.headers).to.deep.equal({ 'content-type': 'application/json', 'x-webhook-signature': '[redacted]' });
    const odd = await admin.show(ids.get('odd')!);
    expect(odd.payload).to.equal('not json {');
  });

  it('answers 404 not_found for an id that does not exist', async () => {
    const error = await rejection(admin.show(987_654_321));
    expect(error.status).to.equal(404);
    expect(error.code).to.equal('not_found');
    expect((await rejection(admin.show(-1))).status).to.equal(404);
  });
});
