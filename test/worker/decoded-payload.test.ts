import { expect } from 'chai';
import type { WebhookEvent } from '../../plugin/types.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, waitFor } from '../helpers/requests.js';
import { KNOWN_ANSWERS } from '../providers/known-answers.js';

const example = (preset: string) => KNOWN_ANSWERS.find((k) => k.preset === preset && k.id !== undefined)!;

/**
 * README: handlers get `payload` decoded, forms as objects and XML parsed. The stored row says how
 * its payload was written, so the worker decodes it without guessing from the text: a form or XML
 * event reaches its handler instead of making every handler throw and the event go dead.
 */
describeEachDatabase('handlers receive decoded form and XML payloads', (db) => {
  let host: TestHost;
  let nowMs = 0;
  const seen = new Map<string, { payload: unknown; rawBody: string }>();

  before(async () => {
    host = await startTestHost(db().knex, { clock: { now: () => nowMs } });
    host.plugin.on('*', (event: WebhookEvent) => {
      seen.set(event.id, { payload: event.payload, rawBody: event.rawBody });
    });
    await host.plugin.start();
  });
  after(async () => {
    await host?.close();
  });

  async function deliver(preset: string, settings?: Record<string, unknown>) {
    const k = example(preset);
    nowMs = k.nowMs;
    await host.plugin.partners.add({ slug: `dp-${preset}`, preset, secret: k.secret, settings: { ...(k.settings ?? {}), ...settings } });
    const response = await post(host.url(`dp-${preset}`), { body: k.body, headers: { 'content-type': k.contentType, ...k.headers } });
    expect(response.status).to.be.oneOf([200, 202]);
    const id = k.id!;
    const got = await waitFor(() => seen.get(id), 10_000, `the ${preset} handler`);
    const row = await db().knex('webhook_outbox').where({ partner: `dp-${preset}`, event_id: id }).first();
    expect(row.status).to.equal('done');
    return { ...got, format: row.payload_format as string | null };
  }

  it('gives a Twilio form event its fields as an object, and the raw form as rawBody', async () => {
    const got = await deliver('twilio');
    expect(got.payload).to.deep.include({ CallSid: 'CA1234567890ABCDE', Digits: '1234', From: '+14158675310' });
    expect(got.rawBody).to.equal(example('twilio').body);
    expect(got.format).to.equal('form');
  });

  it('gives a Slack slash command its form fields, including a field that holds JSON', async () => {
    const got = await deliver('slack');
    expect(got.payload).to.deep.include({ command: '/webhook-collect', team_id: 'T1DC2JH3J' });
    expect(got.format).to.equal('form:payload');
  });

  it('gives a Salesforce notification its parsed XML', async () => {
    const got = await deliver('salesforce-outbound');
    expect(got.payload).to.deep.include({ Id: '04l000000000001AAA' });
    // A notification is an item of a batch: stored as its parsed XML in JSON.
    expect(got.format).to.equal(null);
    expect((got.payload as { sObject: Record<string, unknown> }).sObject).to.deep.include({ Id: '001000000000001AAA', Name: 'Ada & Co' });
  });
});
