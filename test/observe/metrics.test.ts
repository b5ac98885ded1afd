import { expect } from 'chai';
import { Registry, register as globalRegistry } from 'prom-client';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { ConfigError } from '../../plugin/errors.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { recordingLogger } from '../helpers/logger.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';
import { sampleValue, scrape } from './support.js';

const SECRET = 'metrics-secret-0123456789abcdef';
const REQUESTS = 'crm_webhooks_requests_total';

describeEachDatabase('metrics', (db) => {
  let host: TestHost;
  let seq = 0;
  const nextId = () => `evt_metrics_${Date.now()}_${(seq += 1)}`;
  const send = (slug: string, payload: object, secret = SECRET) => post(host.url(slug), signedPost('hmac-sha256', secret, payload));

  before(async () => {
    // cacheMs 0: the tests scrape right after changing the rows.
    host = await startTestHost(db().knex, { processing: { maxAttempts: 1, pollIntervalMs: 20, maxPollIntervalMs: 100 }, health: { cacheMs: 0 } });
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    await host.plugin.partners.add({ slug: 'sleepy', secret: SECRET });
    await host.plugin.partners.setEnabled('sleepy', false);
    host.plugin.on('boom', () => {
      throw new Error('handler failed on purpose');
    });
  });
  after(async () => host?.close());

  it('counts each request by partner and outcome, with unknown partners under one label', async () => {
    const first = { id: nextId(), type: 'contact.updated' };
    expect((await send('acme', first)).status).to.equal(202);
    expect((await send('acme', { id: nextId(), type: 'boom' })).status).to.equal(202);
    expect((await send('acme', first)).status).to.equal(200);
    expect((await send('acme', { id: nextId() }, 'wrong-secret-0123456789abcdef')).status).to.equal(401);
    expect((await send('nobody', { id: nextId() })).status).to.equal(404);
    expect((await send('ghost-partner', { id: nextId() })).status).to.equal(404);
    expect((await send('sleepy', { id: nextId() })).status).to.equal(403);
    const plain = signedPost('hmac-sha256', SECRET, { id: nextId() });
    expect((await post(host.url('acme'), { ...plain, headers: { ...plain.headers, 'content-type': 'text/plain' } })).status).to.equal(415);

    const { status, contentType, samples, text } = await scrape(host.baseUrl);
    expect(status).to.equal(200);
    expect(contentType).to.equal('text/plain; version=0.0.4; charset=utf-8');
    const count = (partner: string, outcome: string) => sampleValue(samples, REQUESTS, { partner, outcome });
    expect(count('acme', 'accepted')).to.equal(2);
    expect(count('acme', 'duplicate')).to.equal(1);
    expect(count('acme', 'unauthorized')).to.equal(1);
    expect(count('acme', 'unsupported_media_type')).to.equal(1);
    expect(count('(unknown)', 'unknown_partner')).to.equal(2);
    expect(count('sleepy', 'partner_disabled')).to.equal(1);
    expect(text).not.to.include('nobody');
    expect(text).not.to.include('ghost-partner');
    expect(sampleValue(samples, 'crm_webhooks_ack_duration_seconds_count', { partner: 'acme', result: 'accepted' })).to.equal(2);
    expect(sampleValue(samples, 'crm_webhooks_ack_duration_seconds_count', { partner: 'acme', result: 'rejected' })).to.equal(2);
    expect(sampleValue(samples, 'crm_webhooks_ack_duration_seconds_bucket', { partner: 'acme', result: 'accepted', le: '5' })).to.equal(2);

    expect(sampleValue(samples, 'crm_webhooks_outbox_rows', { status: 'pending' })).to.equal(2);
    // Done rows are never counted at scrape time (that would scan them all); attempts_total has them.
    expect(sampleValue(samples, 'crm_webhooks_outbox_rows', { status: 'done' })).to.equal(undefined);
    expect(sampleValue(samples, 'crm_webhooks_dead_rows')).to.equal(0);
    expect(sampleValue(samples, 'crm_webhooks_queue_depth')).to.equal(0);
    expect(sampleValue(samples, 'crm_webhooks_oldest_pending_age_seconds')).to.be.within(0, 5);
    expect(sampleValue(samples, 'crm_webhooks_database_up')).to.equal(1);
  });

  it('counts processing attempts and reads rows by status from the database', async () => {
    await host.plugin.start();
    await waitFor(async () => {
      const open = await db().knex('webhook_outbox').whereIn('status', ['pending', 'processing']).count({ n: '*' });
      return Number(open[0]!.n) === 0 ? true : undefined;
    }, 10_000, 'the outbox to drain');
    // An attempt is counted just after its row is marked, so the scrape may briefly lag the table.
    const samples = await waitFor(async () => {
      const scraped = (await scrape(host.baseUrl)).samples;
      return sampleValue(scraped, 'crm_webhooks_processing_duration_seconds_count', { partner: 'acme' }) === 2 ? scraped : undefined;
    }, 5000, 'both attempts to be counted');
    expect(sampleValue(samples, 'crm_webhooks_attempts_total', { partner: 'acme', outcome: 'unhandled' })).to.equal(1);
    expect(sampleValue(samples, 'crm_webhooks_attempts_total', { partner: 'acme', outcome: 'dead' })).to.equal(1);
    expect(sampleValue(samples, 'crm_webhooks_processing_duration_seconds_count', { partner: 'acme' })).to.equal(2);
    expect(sampleValue(samples, 'crm_webhooks_outbox_rows', { status: 'done' })).to.equal(undefined);
    expect(sampleValue(samples, 'crm_webhooks_outbox_rows', { status: 'dead' })).to.equal(1);
    expect(sampleValue(samples, 'crm_webhooks_outbox_rows', { status: 'pending' })).to.equal(0);
    expect(sampleValue(samples, 'crm_webhooks_dead_rows')).to.equal(1);
    expect(sampleValue(samples, 'crm_webhooks_oldest_pending_age_seconds')).to.equal(0);
  });

  it('keeps the metrics of two plugins in one process apart, and off the global registry', async () => {
    const other = await startTestHost(db().knex);
    try {
      expect(other.plugin.metrics).not.to.equal(host.plugin.metrics);
      const before = sampleValue((await scrape(host.baseUrl)).samples, REQUESTS, { partner: '(unknown)', outcome: 'unknown_partner' });
      expect((await post(other.url('nobody'), signedPost('hmac-sha256', SECRET, { id: nextId() }))).status).to.equal(404);
      expect(sampleValue((await scrape(other.baseUrl)).samples, REQUESTS, { partner: '(unknown)', outcome: 'unknown_partner' })).to.equal(1);
      expect(sampleValue((await scrape(host.baseUrl)).samples, REQUESTS, { partner: '(unknown)', outcome: 'unknown_partner' })).to.equal(before);
      expect(await globalRegistry.metrics()).not.to.include('crm_webhooks_');
    } finally {
      await other.close();
    }
  });

  it('registers on the host\'s registry when given one, and refuses a second plugin on it', async () => {
    const hostRegistry = new Registry();
    const shared = await startTestHost(db().knex, { metricsRegistry: hostRegistry });
    try {
      expect(shared.plugin.metrics).to.equal(hostRegistry);
      expect((await post(shared.url('nobody'), signedPost('hmac-sha256', SECRET, { id: nextId() }))).status).to.equal(404);
      expect(await hostRegistry.metrics()).to.include('crm_webhooks_requests_total{partner="(unknown)",outcome="unknown_partner"} 1');
      expect(sampleValue((await scrape(shared.baseUrl)).samples, REQUESTS, { partner: '(unknown)', outcome: 'unknown_partner' })).to.equal(1);
      expect(() => createWebhooksPlugin({ knex: db().knex, logger: recordingLogger(), metricsRegistry: hostRegistry })).to.throw(ConfigError, /metricsRegistry/);
    } finally {
      await shared.close();
    }
  });

  it('answers a scrape within the timeout while the database hangs', async () => {
    const knex = db().open({ poolMax: 1 });
    const stuck = await startTestHost(knex, { health: { timeoutMs: 300 } });
    const trx = await knex.transaction(); // holds the pool's only connection
    try {
      const started = Date.now();
      const { status, samples } = await scrape(stuck.baseUrl);
      expect(Date.now() - started).to.be.within(250, 300 + 700);
      expect(status).to.equal(200);
      expect(sampleValue(samples, 'crm_webhooks_database_up')).to.equal(0);
    } finally {
      await trx.rollback();
      // Let the queued statistics query finish before the pool goes away.
      await waitFor(async () => (sampleValue((await scrape(stuck.baseUrl)).samples, 'crm_webhooks_database_up') === 1 ? true : undefined), 5000, 'the database');
      await stuck.close();
      await knex.destroy();
    }
  });

  it('answers a scrape with database_up 0 and NaN gauges when the database is gone', async () => {
    const knex = db().open();
    const broken = await startTestHost(knex, { health: { timeoutMs: 300 } });
    try {
      await knex.destroy();
      const started = Date.now();
      const { status, samples } = await scrape(broken.baseUrl);
      expect(Date.now() - started).to.be.below(300 + 700);
      expect(status).to.equal(200);
      expect(sampleValue(samples, 'crm_webhooks_database_up')).to.equal(0);
      expect(Number.isNaN(sampleValue(samples, 'crm_webhooks_dead_rows'))).to.equal(true);
      expect(Number.isNaN(sampleValue(samples, 'crm_webhooks_outbox_rows', { status: 'pending' }))).to.equal(true);
      expect(sampleValue(samples, 'crm_webhooks_queue_depth')).to.equal(0);
    } finally {
      await broken.close();
    }
  });
});
