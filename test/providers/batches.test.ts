import { createHmac, generateKeyPairSync, sign as ecdsaSign } from 'node:crypto';
import { expect } from 'chai';
import { getAnswer } from '../../plugin/providers/answers.js';
import type { WebhookEvent } from '../../plugin/types.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, waitFor } from '../helpers/requests.js';

const HUBSPOT_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const HUBSPOT_URL = 'https://www.example.com/webhook_uri';
const NOW_S = 1_700_000_000;

/** HubSpot v3 as the known-answer test signs it (method + URL + body + timestamp, base64 HMAC-SHA256). */
function hubspotV3(events: object[]) {
  const body = JSON.stringify(events);
  const timestamp = String(NOW_S * 1000);
  const signature = createHmac('sha256', HUBSPOT_SECRET).update(`POST${HUBSPOT_URL}${body}${timestamp}`).digest('base64');
  return { body, headers: { 'content-type': 'application/json', 'x-hubspot-request-timestamp': timestamp, 'x-hubspot-signature-v3': signature } };
}

const contactEvent = (eventId: number, objectId = 100 + eventId) => ({ eventId, subscriptionId: 7, portalId: 62515, occurredAt: NOW_S * 1000, subscriptionType: 'contact.propertyChange', attemptNumber: 0, objectId });

const notification = (id: string, accountId: string, name: string) => `
   <Notification>
    <Id>${id}</Id>
    <sObject xsi:type="sf:Account" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>${accountId}</sf:Id>
     <sf:Name>${name}</sf:Name>
    </sObject>
   </Notification>`;

const salesforceMessage = (...notifications: string[]) => `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00D000000000062EAA</OrganizationId>
   <ActionId>04k000000000001AAA</ActionId>${notifications.join('')}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`;

/**
 * Issue 10 item 6: one verified request carrying several events becomes one outbox row per event,
 * each deduped on its own id, all committed in one transaction; 202 when any was new, 200 when all
 * were duplicates.
 */
describeEachDatabase('batched bodies', (db) => {
  let host: TestHost;
  const handled = new Map<string, unknown>();
  const rows = (partner: string) => db().knex('webhook_outbox').where({ partner }).orderBy('event_id');
  const dedupeRows = (partner: string) => db().knex('webhook_dedupe').where({ partner });

  before(async () => {
    host = await startTestHost(db().knex, { clock: { now: () => NOW_S * 1000 + 1000 } });
    host.plugin.on('*', (event: WebhookEvent) => {
      handled.set(`${event.partner}/${event.id}`, event.payload);
    });
    await host.plugin.partners.add({ slug: 'hs', preset: 'hubspot-v3', secret: HUBSPOT_SECRET, settings: { publicUrl: HUBSPOT_URL } });
    await host.plugin.partners.add({
      slug: 'sf',
      preset: 'salesforce-outbound',
      secret: 'unused-placeholder-0000',
      settings: { presetSettings: { organizationId: '00D000000000062' }, allowIps: ['127.0.0.1/32', '::1/128'] },
    });
    await host.plugin.start();
  });
  after(async () => {
    await host?.close();
  });

  it('stores each event of a HubSpot array once: 3 rows, redelivery 200 with no new row, a partly new batch adds only its new events', async () => {
    const first = await post(host.url('hs'), hubspotV3([contactEvent(1), contactEvent(2), contactEvent(3)]));
    expect(first.status).to.equal(202);
    expect(first.body).to.deep.equal({ status: 'accepted', id: '1', events: 3, accepted: 3 });
    const stored = await rows('hs');
    expect(stored.map((r) => r.event_id)).to.deep.equal(['1', '2', '3']);
    expect(stored.map((r) => r.event_type)).to.deep.equal(['contact.propertyChange', 'contact.propertyChange', 'contact.propertyChange']);
    // Each row holds its own item, not the whole array.
    expect(JSON.parse(stored[1].payload)).to.deep.equal(contactEvent(2));

    const again = await post(host.url('hs'), hubspotV3([contactEvent(1), contactEvent(2), contactEvent(3)]));
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal({ status: 'duplicate', id: '1', events: 3, accepted: 0 });
    expect(await rows('hs')).to.have.length(3);

    const partly = await post(host.url('hs'), hubspotV3([contactEvent(2), contactEvent(4), contactEvent(3)]));
    expect(partly.status).to.equal(202);
    expect(partly.body).to.deep.equal({ status: 'accepted', id: '2', events: 3, accepted: 1 });
    expect((await rows('hs')).map((r) => r.event_id)).to.deep.equal(['1', '2', '3', '4']);
  });

  it('stores a repeated id inside one batch once', async () => {
    const response = await post(host.url('hs'), hubspotV3([contactEvent(10), contactEvent(10, 999), contactEvent(11)]));
    expect(response.body).to.deep.equal({ status: 'accepted', id: '10', events: 3, accepted: 2 });
    const stored = await db().knex('webhook_outbox').where({ partner: 'hs' }).whereIn('event_id', ['10', '11']);
    expect(stored).to.have.length(2);
    expect(JSON.parse(stored.find((r) => r.event_id === '10').payload).objectId).to.equal(110);
  });

  it('refuses the whole batch when one item has no id or a loosely written one (400, nothing stored)', async () => {
    const before = (await rows('hs')).length;
    const noId = await post(host.url('hs'), hubspotV3([contactEvent(20), { subscriptionType: 'contact.creation' }]));
    expect(noId.status).to.equal(400);
    expect(noId.body).to.deep.include({ error: 'missing_event_id' });
    expect(noId.body.message).to.match(/^batch item 1: /);
    const loose = hubspotV3([contactEvent(21)]);
    const body = loose.body.replace('"eventId":21', '"eventId":21.0');
    const resigned = createHmac('sha256', HUBSPOT_SECRET).update(`POST${HUBSPOT_URL}${body}${NOW_S * 1000}`).digest('base64');
    const looseResponse = await post(host.url('hs'), { body, headers: { ...loose.headers, 'x-hubspot-signature-v3': resigned } });
    expect(looseResponse.status).to.equal(400);
    expect(looseResponse.body).to.deep.include({ error: 'invalid_event_id' });
    expect(await rows('hs')).to.have.length(before);
    expect(await dedupeRows('hs').whereIn('event_id', ['20', '21'])).to.have.length(0);
  });

  it('gives each handler call its own item, decoded', async () => {
    await post(host.url('hs'), hubspotV3([contactEvent(30), contactEvent(31)]));
    const second = await waitFor(() => handled.get('hs/31'), 10_000, 'the handler of event 31');
    expect(second).to.deep.equal(contactEvent(31));
    expect(handled.get('hs/30')).to.deep.equal(contactEvent(30));
  });

  it('stores each notification of a Salesforce message and answers the SOAP Ack, for duplicates too', async () => {
    const message = salesforceMessage(notification('04l000000000011AAA', '001000000000011AAA', 'Ada'), notification('04l000000000012AAA', '001000000000012AAA', 'Grace'));
    const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };
    const first = await fetch(host.url('sf'), { method: 'POST', body: message, headers });
    expect(first.status).to.equal(200);
    expect(first.headers.get('content-type')).to.equal('text/xml; charset=utf-8');
    const ack = await first.text();
    expect(ack).to.equal(getAnswer('salesforce-ack').body);
    expect(ack).to.include('<Ack>true</Ack>');
    const stored = await rows('sf');
    expect(stored.map((r) => [r.event_id, r.event_type])).to.deep.equal([
      ['04l000000000011AAA', 'Account'],
      ['04l000000000012AAA', 'Account'],
    ]);
    expect(stored.map((r) => r.payload_format)).to.deep.equal([null, null]);

    const again = await fetch(host.url('sf'), { method: 'POST', body: message, headers });
    expect(again.status).to.equal(200);
    expect(await again.text()).to.equal(ack);
    expect(await rows('sf')).to.have.length(2);

    const grace = await waitFor(() => handled.get('sf/04l000000000012AAA'), 10_000, 'the handler of the second notification');
    expect(grace).to.deep.include({ Id: '04l000000000012AAA' });
    expect((grace as { sObject: Record<string, unknown> }).sObject).to.deep.include({ Id: '001000000000012AAA', Name: 'Grace' });
  });

  it('keeps refusals of an answering preset in the JSON error shape', async () => {
    const response = await post(host.url('sf'), { body: salesforceMessage(), headers: { 'content-type': 'text/xml' } });
    expect(response.status).to.equal(400);
    expect(response.body).to.deep.include({ error: 'invalid_batch' });
  });

  it('stores each event of a SendGrid batch (ECDSA-signed)', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await host.plugin.partners.add({ slug: 'sg', preset: 'sendgrid', secret: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') });
    const events = [
      { email: 'a@example.com', event: 'delivered', sg_event_id: 'sg-1', timestamp: NOW_S },
      { email: 'b@example.com', event: 'open', sg_event_id: 'sg-2', timestamp: NOW_S },
    ];
    const body = `${JSON.stringify(events)}\r\n`;
    const timestamp = String(NOW_S);
    const signature = ecdsaSign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64');
    const headers = { 'content-type': 'application/json', 'x-twilio-email-event-webhook-timestamp': timestamp, 'x-twilio-email-event-webhook-signature': signature };
    const response = await post(host.url('sg'), { body, headers });
    expect(response.status).to.equal(202);
    expect(response.body).to.deep.equal({ status: 'accepted', id: 'sg-1', events: 2, accepted: 2 });
    expect((await rows('sg')).map((r) => [r.event_id, r.event_type])).to.deep.equal([
      ['sg-1', 'delivered'],
      ['sg-2', 'open'],
    ]);
  });

  it('reads a batch from a form field holding JSON with the custom scheme (Mandrill-style), and dedupes each item on its own id', async () => {
    const secret = 'mandrill-style-key-0123456789';
    await host.plugin.partners.add({
      slug: 'md',
      scheme: 'custom',
      secret,
      settings: {
        signatureSpec: {
          body: 'form',
          jsonFields: ['mandrill_events'],
          signature: { from: 'header:x-mandrill-signature' },
          algorithm: 'hmac-sha1',
          encoding: 'base64',
          content: ['body'],
          batch: { from: 'body:mandrill_events', id: ['_id'], type: ['event'] },
        },
      },
    });
    const send = (items: object[]) => {
      const body = `mandrill_events=${encodeURIComponent(JSON.stringify(items))}`;
      const signature = createHmac('sha1', secret).update(body).digest('base64');
      return post(host.url('md'), { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-mandrill-signature': signature } });
    };
    const sent = { event: 'send', _id: 'm-1', msg: { email: 'a@example.com' } };
    expect((await send([sent, { event: 'open', _id: 'm-2', msg: {} }])).body).to.deep.equal({ status: 'accepted', id: 'm-1', events: 2, accepted: 2 });
    expect((await rows('md')).map((r) => r.event_id)).to.deep.equal(['m-1', 'm-2']);
    const replayed = await send([{ ...sent }, { event: 'click', _id: 'm-3', msg: {} }]);
    expect(replayed.body).to.deep.equal({ status: 'accepted', id: 'm-1', events: 2, accepted: 1 });
    expect((await rows('md')).map((r) => r.event_id)).to.deep.equal(['m-1', 'm-2', 'm-3']);
  });
});
