import { randomBytes } from 'node:crypto';
import { parseJsonBody } from '../ingest/json-body.js';
import { readBodyPath } from '../signatures/body-path.js';
import { bytesEqual } from '../signatures/constant-time.js';
import type { SignatureScheme, Verdict } from '../signatures/types.js';
import type { Preset } from './preset.js';

const JSON_DEPTH = 64;

function notifications(body: unknown): unknown[] {
  const value = readBodyPath(body, ['value']);
  return Array.isArray(value) ? value : [];
}

/**
 * Graph change notifications are not signed (rich notifications with encrypted content are not
 * supported): each notification carries the `clientState` the subscription was created with, which
 * stands in for a secret and must match one of the partner's secrets, in constant time, in every
 * notification of the request.
 */
function graphScheme(): SignatureScheme {
  function verify({ rawBody, secrets }: { rawBody: Buffer; secrets: readonly string[] }): Verdict {
    let items: unknown[];
    try {
      items = notifications(parseJsonBody(rawBody, JSON_DEPTH).value);
    } catch {
      return { ok: false, code: 'signature_missing' };
    }
    if (items.length === 0) return { ok: false, code: 'signature_missing' };
    const keys = secrets.filter((s) => s !== '').map((s) => Buffer.from(s));
    for (const item of items) {
      const state = readBodyPath(item, ['clientState']);
      if (typeof state !== 'string' || state === '') return { ok: false, code: 'signature_missing' };
      const given = Buffer.from(state);
      if (!keys.some((key) => bytesEqual(key, given))) return { ok: false, code: 'signature_invalid' };
    }
    return { ok: true };
  }

  return Object.freeze({
    name: 'custom',
    relevantHeaders: Object.freeze(['content-type']),
    signatureHeaders: Object.freeze([]),
    signsIdOrTimestamp: false,
    verify,
    locate(_headers, body) {
      const first = notifications(body)[0];
      const parts = ['subscriptionId', 'changeType', 'resource'].map((field) => readBodyPath(first, [field]));
      const etag = readBodyPath(first, ['resourceData', '@odata.etag']);
      // Graph notifications carry no id of their own; the etag changes with every change of the resource.
      const id = parts.every((p) => typeof p === 'string') ? [...parts, typeof etag === 'string' ? etag : ''].join(':') : undefined;
      return { id: readBodyPath(first, ['id']) ?? id, type: readBodyPath(first, ['changeType']) };
    },
    sign() {
      throw new Error('crm-webhooks: Microsoft Graph notifications are not signed');
    },
    generateSecret: () => randomBytes(24).toString('base64url'),
    // Graph limits clientState to 128 characters.
    checkSecret: (secret) => (secret.length === 0 || secret.length > 128 ? 'the clientState must be 1 to 128 characters' : null),
  } satisfies SignatureScheme);
}

export const MICROSOFT_GRAPH: Preset = {
  name: 'microsoft-graph',
  version: 1,
  provider: 'Microsoft Graph change notifications',
  secretIs: 'the clientState given when creating the subscription',
  build: graphScheme,
  contentTypes: [],
  requires: [],
  handshake: 'graph-validation-token',
  signature: 'none: every notification\'s clientState must equal the secret',
  idType: 'id value[0].id, else "<subscriptionId>:<changeType>:<resource>:<etag>"; type value[0].changeType',
  tolerance: 'none (nothing is signed)',
  caveats: 'clientState is a shared value in the body, not a signature: add --allow-ip for Graph\'s ranges; lifecycle and rich (encrypted) notifications are not supported; several notifications name the request by the first',
  source: 'https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks',
};
