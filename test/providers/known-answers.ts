import { createHash, createHmac } from 'node:crypto';

/**
 * One provider's published example, as it would arrive over HTTP. `source` names the file or page
 * the values come from; where a provider publishes no complete example, the request is built with
 * node:crypto exactly as the cited page describes, and `source` says so.
 */
export interface KnownAnswer {
  preset: string;
  source: string;
  secret: string;
  settings?: { publicUrl?: string; presetSettings?: Record<string, string>; allowIps?: string[]; idFrom?: string };
  /** The moment the example was signed, for the timestamp check. */
  nowMs: number;
  contentType: string;
  headers: Record<string, string>;
  body: string;
  /** The event id the preset should find (for an example whose body is accepted). */
  id?: string;
  /**
   * `invalid_json` for a published example whose body is not JSON (SDK tests often sign a
   * placeholder): it gets past the signature check and is then refused 400, never 401.
   */
  outcome?: 'accepted' | 'invalid_json';
  /** The same request with one byte changed where the signature covers it. */
  tamper?: (request: { headers: Record<string, string>; body: string }) => { headers: Record<string, string>; body: string };
}

const hmac = (algorithm: string, key: string | Buffer, ...parts: string[]) => {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

// slackapi/python-slack-sdk tests/slack_sdk/signature/test_signature_verifier.py (the example of
// https://api.slack.com/authentication/verifying-requests-from-slack)
const SLACK_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

// HubSpot/hubspot-api-nodejs test/unit/signature.spec.ts
const HUBSPOT_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const HUBSPOT_V1_BODY =
  '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';

// sendgrid/sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js ("a valid single event signature")
const SENDGRID_BODY =
  JSON.stringify([
    {
      email: 'hello@world.com',
      event: 'dropped',
      reason: 'Bounced Address',
      sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
      sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
      'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
      timestamp: 1600112492,
    },
  ]) + '\r\n';

// square/square-nodejs-sdk webhooks helper test (the values the SDK's own test verifies)
const SQUARE_BODY =
  '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}';

// standard-webhooks libraries/javascript/src/index.test.ts, sent as Svix sends it
const SVIX_BODY = '{"test": 2432232314}';

const SALESFORCE_BODY = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00D000000000062EAA</OrganizationId>
   <ActionId>04k000000000001AAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/60.0/00D000000000062</EnterpriseUrl>
   <PartnerUrl>https://example.my.salesforce.com/services/Soap/u/60.0/00D000000000062</PartnerUrl>
   <Notification>
    <Id>04l000000000001AAA</Id>
    <sObject xsi:type="sf:Account" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>001000000000001AAA</sf:Id>
     <sf:Name>Ada &amp; Co</sf:Name>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`;

const SHOPIFY_SOURCE = 'Shopify/shopify-api-js packages/shopify-api/lib/webhooks/__tests__/validate.test.ts (secret from lib/__tests__/test-config.ts, headers from webhooks/__tests__/utils.ts)';

// The body HubSpot's Ruby and Python SDK tests sign: a placeholder, not JSON.
const HUBSPOT_SDK_BODY = "{'example_field':'example_value'}";

// compwright/x-hub-signature (the npm x-hub-signature package, for Facebook/GitHub-style
// X-Hub-Signature headers)
const X_HUB_SIGNATURE_SOURCE = 'compwright/x-hub-signature src/XHubSignature.test.js';

const FIXED_S = 1_700_000_000;
const computed = (docs: string) => `computed with node:crypto as documented at ${docs} (no complete published example)`;
/** Beside a published example that cannot show the whole path (a non-JSON body, no id). */
const alongside = (docs: string, why: string) => `computed with node:crypto as documented at ${docs}, because ${why}`;

const shopifyBody = '{"id":820982911946154508,"email":"jon@example.com","closed_at":null}';
const intercomBody = '{"type":"notification_event","id":"notif_ccd8a4d2-c5f4-4a3e-b8ec-6b3c3b5a9f4e","topic":"conversation.user.created","data":{}}';
const typeformBody = '{"event_id":"01GZ0FQ3S3K4AT5KR0DGTM4J1Y","event_type":"form_response","form_response":{"form_id":"lT4Z3j"}}';
const calendlyBody = '{"event":"invitee.created","created_at":"2023-11-14T22:13:20.000000Z","payload":{"uri":"https://api.calendly.com/scheduled_events/ABC/invitees/DEF"}}';
const zoomBody = '{"event":"meeting.started","event_ts":1700000000000,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890"}}}';
const docusignBody = '{"event":"envelope-completed","apiVersion":"v2.1","generatedDateTime":"2023-11-14T22:13:20.0000000Z","data":{"accountId":"a1","envelopeId":"93be49ab-afa0-4adb-933c-f5b1d2dc0a9a"}}';
const metaBody = '{"object":"page","entry":[{"id":"1234567890","time":1700000000,"changes":[{"field":"feed","value":{"item":"status","verb":"add"}}]}]}';
const xBody = '{"for_user_id":"2244994945","tweet_create_events":[{"id_str":"1700000000000000001","text":"hello"}]}';
const graphBody = '{"value":[{"subscriptionId":"7f105c7d-2dc5-4530-97cd-4e7ae6534c07","clientState":"graph-client-state-0123","changeType":"created","resource":"Users/b1f2/Messages/AAMk","tenantId":"84bd8158-6d4d-4958-8b9f-9d6445542f95","resourceData":{"@odata.type":"#Microsoft.Graph.Message","@odata.etag":"W/\\"CQAAABYAAAD\\"","id":"AAMk"}}]}';
const hubspotV3Body = '[{"eventId":100,"subscriptionId":7,"portalId":62515,"occurredAt":1700000000000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123}]';
const mailgunJson = JSON.stringify({
  signature: { timestamp: '1539112500', token: '7VwW7k6Ak7zcTwoSoNm7aTtbk1g67MKAnsYLfUB7PdszbgR5Xi', signature: 'ef24c5225322217bb065b80bb54eb4f9206d764e3e16abab07f0a64d1cf477cc' },
  'event-data': { id: 'CPgfbmQMTCKtHW6uIWtuVe', event: 'delivered' },
});

/** Changes one byte of the body (the last character before any trailing newline). */
export function flipBodyByte(request: { headers: Record<string, string>; body: string }, at?: number) {
  const i = at ?? request.body.trimEnd().length - 2;
  const c = request.body[i]!;
  return { headers: request.headers, body: request.body.slice(0, i) + (c === 'x' ? 'y' : 'x') + request.body.slice(i + 1) };
}

export const KNOWN_ANSWERS: readonly KnownAnswer[] = [
  {
    preset: 'shopify',
    source: SHOPIFY_SOURCE,
    secret: 'test_secret_key',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: {
      'x-shopify-hmac-sha256': 'B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=',
      'x-shopify-topic': 'products/create',
      'x-shopify-webhook-id': '123456789',
      'x-shopify-shop-domain': 'shop1.myshopify.io',
      'x-shopify-api-version': '2023-01',
    },
    body: '{"foo": "bar"}',
    id: '123456789',
  },
  {
    preset: 'shopify',
    source: alongside('https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook', 'the SDK example has no X-Shopify-Event-Id'),
    secret: 'hush-shopify-client-secret-0123',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: {
      'x-shopify-hmac-sha256': hmac('sha256', 'hush-shopify-client-secret-0123', shopifyBody).toString('base64'),
      'x-shopify-topic': 'orders/create',
      'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
      'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    },
    body: shopifyBody,
    id: '98880550-7158-44d4-b7cd-2c97c8a091b5',
  },
  {
    preset: 'slack',
    source: 'slackapi/python-slack-sdk tests/slack_sdk/signature/test_signature_verifier.py',
    secret: '8f742231b10e8888abcd99yyyzzz85a5',
    nowMs: 1531420618 * 1000,
    contentType: 'application/x-www-form-urlencoded',
    headers: { 'x-slack-request-timestamp': '1531420618', 'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' },
    body: SLACK_BODY,
    id: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  },
  {
    preset: 'twilio',
    source: 'TwilioDevEd/api-snippets security/signature_validation/signature_validation.3.x.js',
    secret: '12345',
    settings: { publicUrl: 'https://mycompany.com/myapp.php?foo=1&bar=2' },
    nowMs: FIXED_S * 1000,
    contentType: 'application/x-www-form-urlencoded',
    headers: { 'x-twilio-signature': 'GvWf1cFY/Q7PnoempGyD5oXAezc=' },
    body: 'CallSid=CA1234567890ABCDE&Caller=%2B14158675310&Digits=1234&From=%2B14158675310&To=%2B18005551212',
    id: 'CA1234567890ABCDE',
    tamper: (r) => ({ headers: r.headers, body: r.body.replace('Digits=1234', 'Digits=1235') }),
  },
  {
    preset: 'hubspot-v3',
    source: 'HubSpot/hubspot-api-ruby spec/helpers/signature_spec.rb (TEST_DATA v3_hash; the same inputs as hubspot-api-python tests/spec/utils/test_signature.py)',
    secret: HUBSPOT_SECRET,
    settings: { publicUrl: 'https://www.example.com/webhook_uri' },
    nowMs: 1_700_000_300_000 + 1000,
    contentType: 'application/json',
    headers: { 'x-hubspot-request-timestamp': '1700000300000', 'x-hubspot-signature-v3': 'RnbPH7+UMKVkbV32P8bz450N4M56aPmcru1+D3kSDtw=' },
    body: HUBSPOT_SDK_BODY,
    outcome: 'invalid_json',
  },
  {
    preset: 'hubspot-v3',
    source: alongside('https://developers.hubspot.com/docs/api/webhooks/validating-requests', "the SDKs' example body is not JSON"),
    secret: HUBSPOT_SECRET,
    settings: { publicUrl: 'https://www.example.com/webhook_uri' },
    nowMs: FIXED_S * 1000 + 1000,
    contentType: 'application/json',
    headers: {
      'x-hubspot-request-timestamp': String(FIXED_S * 1000),
      'x-hubspot-signature-v3': hmac('sha256', HUBSPOT_SECRET, 'POST', 'https://www.example.com/webhook_uri', hubspotV3Body, String(FIXED_S * 1000)).toString('base64'),
    },
    body: hubspotV3Body,
    id: '100',
  },
  {
    preset: 'hubspot-v2',
    source: 'HubSpot/hubspot-api-nodejs test/unit/signature.spec.ts ("is valid v2 with body")',
    secret: HUBSPOT_SECRET,
    // The example body has no event id: point the partner at a field, as an admin would.
    settings: { publicUrl: 'https://www.example.com/webhook_uri', idFrom: 'body:example_field' },
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'x-hubspot-signature': '9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900', 'x-hubspot-signature-version': 'v2' },
    body: '{"example_field":"example_value"}',
    id: 'example_value',
  },
  {
    preset: 'hubspot-v1',
    source: 'HubSpot/hubspot-api-nodejs test/unit/signature.spec.ts ("is valid v1")',
    secret: HUBSPOT_SECRET,
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'x-hubspot-signature': '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de' },
    body: HUBSPOT_V1_BODY,
    id: '1',
  },
  {
    preset: 'zendesk',
    source: 'https://developer.zendesk.com/documentation/event-connectors/webhooks/verifying/ (NodeJS verification example)',
    secret: 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=',
    nowMs: Date.parse('2021-07-25T10:00:00Z'),
    contentType: 'application/json',
    headers: {
      'x-zendesk-webhook-signature': 'tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw=',
      'x-zendesk-webhook-signature-timestamp': '2021-07-25T10:00:00Z',
      'x-zendesk-webhook-invocation-id': '8350205582',
    },
    body: '{"say": "hello"}',
    id: '8350205582',
  },
  {
    preset: 'intercom',
    source: `${X_HUB_SIGNATURE_SOURCE} ("should sign using the specified parameters"; Intercom publishes no example of its own)`,
    secret: 'my_little_secret',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'x-hub-signature': 'sha1=3dca279e731c97c38e3019a075dee9ebbd0a99f0' },
    body: 'random-signature-body',
    outcome: 'invalid_json',
  },
  {
    preset: 'intercom',
    source: alongside('https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications', "the library's example body is not JSON"),
    secret: 'intercom-client-secret-0123456789',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'x-hub-signature': `sha1=${hmac('sha1', 'intercom-client-secret-0123456789', intercomBody).toString('hex')}` },
    body: intercomBody,
    id: 'notif_ccd8a4d2-c5f4-4a3e-b8ec-6b3c3b5a9f4e',
  },
  {
    preset: 'mailgun',
    source: 'rails/rails actionmailbox/test/controllers/ingresses/mailgun/inbound_emails_controller_test.rb (its timestamp, token and signature, in the JSON shape of https://documentation.mailgun.com/docs/mailgun/user-manual/tracking-messages/#securing-webhooks)',
    secret: 'tbsy84uSV1Kt3ZJZELY2TmShPRs91E3yL4tzf96297vBCkDWgL',
    nowMs: 1539112500 * 1000,
    contentType: 'application/json',
    headers: {},
    body: mailgunJson,
    id: 'CPgfbmQMTCKtHW6uIWtuVe',
    tamper: (r) => ({ headers: r.headers, body: r.body.replace('7VwW7k6', '7VwW7k7') }),
  },
  {
    preset: 'mailgun-forms',
    source: 'rails/rails actionmailbox/test/controllers/ingresses/mailgun/inbound_emails_controller_test.rb',
    secret: 'tbsy84uSV1Kt3ZJZELY2TmShPRs91E3yL4tzf96297vBCkDWgL',
    nowMs: 1539112500 * 1000,
    contentType: 'application/x-www-form-urlencoded',
    headers: {},
    body: 'timestamp=1539112500&token=7VwW7k6Ak7zcTwoSoNm7aTtbk1g67MKAnsYLfUB7PdszbgR5Xi&signature=ef24c5225322217bb065b80bb54eb4f9206d764e3e16abab07f0a64d1cf477cc&Message-Id=%3C0CB459E0-0336-41DA-BC88-E6E28C697DDB%4037signals.com%3E&body-mime=From%3A+a%40example.com',
    id: '<0CB459E0-0336-41DA-BC88-E6E28C697DDB@37signals.com>',
    tamper: (r) => ({ headers: r.headers, body: r.body.replace('timestamp=1539112500', 'timestamp=1539112501') }),
  },
  {
    preset: 'sendgrid',
    source: 'sendgrid/sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js',
    secret: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==',
    nowMs: 1600112502 * 1000,
    contentType: 'application/json',
    headers: {
      'x-twilio-email-event-webhook-signature': 'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=',
      'x-twilio-email-event-webhook-timestamp': '1600112502',
    },
    body: SENDGRID_BODY,
    id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
  },
  {
    preset: 'paddle',
    source: computed('https://developer.paddle.com/webhooks/signature-verification') + '; checked with @paddle/paddle-node-sdk in signer-parity.test.ts',
    secret: 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: {
      'paddle-signature': `ts=${FIXED_S};h1=${hmac('sha256', 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI', `${FIXED_S}:{"event_id":"evt_01h8bzakzx3hm2fmen703n5q45","event_type":"transaction.completed"}`).toString('hex')}`,
    },
    body: '{"event_id":"evt_01h8bzakzx3hm2fmen703n5q45","event_type":"transaction.completed"}',
    id: 'evt_01h8bzakzx3hm2fmen703n5q45',
  },
  {
    preset: 'square',
    source: 'square/square-nodejs-sdk webhooks helper test (checked again with the square package in signer-parity.test.ts)',
    secret: 'Ibxx_5AKakO-3qeNVR61Dw',
    settings: { publicUrl: 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9' },
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'x-square-hmacsha256-signature': 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=' },
    body: SQUARE_BODY,
    id: 'ac3ac95b-f97d-458c-a6e6-18981597e05f',
  },
  {
    preset: 'calendly',
    source: computed('https://developer.calendly.com/api-docs/4c305798a61d3-webhook-signatures'),
    secret: 'calendly-signing-key-0123456789ab',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'calendly-webhook-signature': `t=${FIXED_S},v1=${hmac('sha256', 'calendly-signing-key-0123456789ab', `${FIXED_S}.${calendlyBody}`).toString('hex')}` },
    body: calendlyBody,
    id: 'invitee.created:https://api.calendly.com/scheduled_events/ABC/invitees/DEF',
  },
  {
    preset: 'typeform',
    source: computed('https://www.typeform.com/developers/webhooks/secure-your-webhooks/'),
    secret: 'typeform-webhook-secret-01234567',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'typeform-signature': `sha256=${hmac('sha256', 'typeform-webhook-secret-01234567', typeformBody).toString('base64')}` },
    body: typeformBody,
    id: '01GZ0FQ3S3K4AT5KR0DGTM4J1Y',
  },
  {
    preset: 'zoom',
    source: computed('https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events'),
    secret: 'zoom-secret-token-0123456789abcd',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: {
      'x-zm-request-timestamp': String(FIXED_S),
      'x-zm-signature': `v0=${hmac('sha256', 'zoom-secret-token-0123456789abcd', `v0:${FIXED_S}:${zoomBody}`).toString('hex')}`,
    },
    body: zoomBody,
    id: 'meeting.started:1700000000000',
  },
  {
    preset: 'docusign',
    source: computed('https://developers.docusign.com/platform/webhooks/connect/validate/'),
    secret: 'docusign-connect-hmac-key-012345',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'x-docusign-signature-1': hmac('sha256', 'docusign-connect-hmac-key-012345', docusignBody).toString('base64') },
    body: docusignBody,
    id: 'envelope-completed:93be49ab-afa0-4adb-933c-f5b1d2dc0a9a:2023-11-14T22:13:20.0000000Z',
  },
  {
    preset: 'svix',
    source: 'standard-webhooks libraries/javascript/src/index.test.ts (the reference vector, under svix-* names)',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    nowMs: 1614265330 * 1000,
    contentType: 'application/json',
    headers: { 'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'svix-timestamp': '1614265330', 'svix-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
    body: SVIX_BODY,
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  },
  {
    preset: 'meta',
    source: `${X_HUB_SIGNATURE_SOURCE} ("should sign UTF-8 bodies with sha256"; Meta publishes no example of its own)`,
    secret: 'my_little_secret',
    // The example body has no entry array: point the partner at a field, as an admin would.
    settings: { presetSettings: { verifyToken: 'meta-verify-token' }, idFrom: 'body:id' },
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'x-hub-signature-256': 'sha256=2bee603b1bd2b873912ee43469a3b4a377ad70e7f64cbd58ccdbc67eb9a1b37f' },
    body: '{ "id": "realtime_update" }',
    id: 'realtime_update',
  },
  {
    preset: 'meta',
    source: alongside('https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications', "the library's example has no entry array (the default id)"),
    secret: 'meta-app-secret-0123456789abcdef',
    settings: { presetSettings: { verifyToken: 'meta-verify-token' } },
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'x-hub-signature-256': `sha256=${hmac('sha256', 'meta-app-secret-0123456789abcdef', metaBody).toString('hex')}` },
    body: metaBody,
    id: '1234567890:1700000000',
  },
  {
    preset: 'x',
    source: computed('https://docs.x.com/x-api/webhooks/introduction'),
    secret: 'x-consumer-secret-0123456789abcdef',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: { 'x-twitter-webhooks-signature': `sha256=${hmac('sha256', 'x-consumer-secret-0123456789abcdef', xBody).toString('base64')}` },
    body: xBody,
    id: '1700000000000000001',
  },
  {
    preset: 'microsoft-graph',
    source: 'the change notification example of https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks (clientState, not signed)',
    secret: 'graph-client-state-0123',
    nowMs: FIXED_S * 1000,
    contentType: 'application/json',
    headers: {},
    body: graphBody,
    id: '7f105c7d-2dc5-4530-97cd-4e7ae6534c07:created:Users/b1f2/Messages/AAMk:W/"CQAAABYAAAD"',
    tamper: (r) => ({ headers: r.headers, body: r.body.replace('graph-client-state-0123', 'graph-client-state-0124') }),
  },
  {
    preset: 'salesforce-outbound',
    source: 'the outbound message shape of https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_wsdl.htm',
    secret: 'unused-placeholder-0000',
    settings: { presetSettings: { organizationId: '00D000000000062' }, allowIps: ['127.0.0.1/32', '::1/128'] },
    nowMs: FIXED_S * 1000,
    contentType: 'text/xml; charset=utf-8',
    headers: { soapaction: '""' },
    body: SALESFORCE_BODY,
    id: '04l000000000001AAA',
    tamper: (r) => ({ headers: r.headers, body: r.body.replace('00D000000000062EAA', '00D000000000063EAA') }),
  },
];

/** HubSpot v1's plain hash, for the parity test. */
export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
