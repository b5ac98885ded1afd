import { randomBytes } from 'node:crypto';
import { decodeBody } from '../bodies/decode-body.js';
import { readBodyPath } from '../signatures/body-path.js';
import { bytesEqual } from '../signatures/constant-time.js';
import type { SignatureScheme, Verdict } from '../signatures/types.js';
import type { Preset, PresetBuildContext } from './preset.js';

const NOTIFICATIONS = ['Envelope', 'Body', 'notifications'];
const XML_DEPTH = 64;
/** The outbound messaging WSDL: `<element name="Notification" maxOccurs="100" …>`. */
const MAX_NOTIFICATIONS = 100;

/** Every notification (the parser gives a single element as an object, several as an array). */
function notifications(body: unknown): readonly unknown[] {
  const list = readBodyPath(body, [...NOTIFICATIONS, 'Notification']);
  if (Array.isArray(list)) return list;
  return list === undefined ? [] : [list];
}

/** One notification's id and the type of the sObject it carries (sf:Account → Account). */
function locateNotification(notification: unknown): { id: unknown; type: unknown } {
  const sObject = readBodyPath(notification, ['sObject', '@_type']);
  return { id: readBodyPath(notification, ['Id']), type: typeof sObject === 'string' ? sObject.replace(/^sf:/, '') : undefined };
}

/**
 * Salesforce outbound messages are not signed at all: what stands in for a signature is the
 * organization id in the SOAP body (compared in constant time) plus an IP allowlist, which the
 * preset requires. Salesforce ids come in a 15-character and an 18-character form; the first 15
 * characters are the same id.
 */
function salesforceScheme(context: PresetBuildContext): SignatureScheme {
  const expected = context.presetSettings.organizationId ?? '';

  function verify({ rawBody }: { rawBody: Buffer }): Verdict {
    if (expected === '') return { ok: false, code: 'signature_invalid' };
    let body: unknown;
    try {
      body = decodeBody(rawBody, 'xml', { maxJsonDepth: XML_DEPTH }).value;
    } catch {
      return { ok: false, code: 'signature_missing' };
    }
    const given = readBodyPath(body, [...NOTIFICATIONS, 'OrganizationId']);
    if (typeof given !== 'string' || given === '') return { ok: false, code: 'signature_missing' };
    const length = expected.length === 15 ? 15 : given.length;
    return bytesEqual(Buffer.from(given.slice(0, length)), Buffer.from(expected)) ? { ok: true } : { ok: false, code: 'signature_invalid' };
  }

  return Object.freeze({
    name: 'custom',
    relevantHeaders: Object.freeze(['content-type', 'soapaction']),
    signatureHeaders: Object.freeze([]),
    bodyType: 'xml',
    jsonFields: Object.freeze([]),
    // Nothing is signed: a byte-identical body is a duplicate.
    signsIdOrTimestamp: false,
    verify,
    locate: (_headers, body) => locateNotification(notifications(body)[0]),
    // Always a batch: each notification is an event of its own, with its own notification id.
    batch: Object.freeze({ maxItems: MAX_NOTIFICATIONS, items: notifications, locate: (_headers: unknown, item: unknown) => locateNotification(item) }),
    sign() {
      throw new Error('crm-webhooks: Salesforce outbound messages are not signed');
    },
    // Every partner row holds a secret; this one is stored and never used.
    generateSecret: () => randomBytes(16).toString('hex'),
    checkSecret: () => null,
  } satisfies SignatureScheme & Record<string, unknown>);
}

export const SALESFORCE_OUTBOUND: Preset = {
  name: 'salesforce-outbound',
  version: 1,
  provider: 'Salesforce outbound messages (SOAP)',
  secretIs: 'nothing: Salesforce does not sign; give any placeholder or omit it',
  build: salesforceScheme,
  contentTypes: ['text/xml', 'application/xml'],
  requires: ['organizationId'],
  requiresAllowIps: true,
  answer: 'salesforce-ack',
  signature: 'none: OrganizationId in the SOAP body must equal --setting organizationId, and the caller must be in --allow-ip',
  idType: 'one event per Notification (up to 100): id Notification/Id, type the sObject type (sf:Account → Account)',
  tolerance: 'none (nothing is signed)',
  caveats: 'no signature: the IP allowlist is required; answers the SOAP notificationsResponse Ack (200, text/xml), which Salesforce needs to stop redelivering; each notification is stored as its parsed XML in JSON',
  source: 'https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_wsdl.htm',
};
