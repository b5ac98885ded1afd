import type { PartnerSettings } from '../partners/partner-settings.js';
import { headerValue } from '../signatures/header.js';
import { readBodyPath } from '../signatures/body-path.js';
import { parseLocation } from '../signatures/event-locator.js';
import type { RequestHeaders } from '../signatures/types.js';
import type { InboundOrder } from '../store/outbox-insert.js';

/**
 * Issue 12: the record an event changes (order key) and its version, read at ingest where the
 * partner's settings say. A value that cannot be read never refuses the event (the partner would
 * only retry it forever): the event is processed unordered and counted.
 */
export type OrderFields =
  | { order: InboundOrder; unreadable: null }
  | { order: null; unreadable: null | 'key' | 'version' };

const MAX_KEY_CHARS = 191;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const NUMERIC = /^-?\d{1,20}(?:\.\d{1,20})?$/;
// A date, or a date-time with an explicit offset: without one, Date.parse reads local time, which
// differs between hosts.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

function read(text: string, headers: RequestHeaders, body: unknown): unknown {
  const parsed = parseLocation(text);
  if (!parsed.ok) return undefined; // settings are validated when saved
  const { location } = parsed;
  return location.source === 'header' ? headerValue(headers, location.name) : readBodyPath(body, location.path);
}

export function orderKeyOf(value: unknown): string | null {
  let key: string;
  if (typeof value === 'number' && Number.isSafeInteger(value)) key = String(value);
  else if (typeof value === 'string') key = value;
  else return null;
  if (key === '' || Array.from(key).length > MAX_KEY_CHARS || CONTROL.test(key) || !key.isWellFormed()) return null;
  return key;
}

/** A number, a numeric string, or an ISO 8601 time (as epoch milliseconds); null when none of these. */
export function orderVersionOf(value: unknown): number | null {
  let version: number;
  if (typeof value === 'number') version = value;
  else if (typeof value === 'string' && NUMERIC.test(value)) version = Number(value);
  else if (typeof value === 'string' && ISO_8601.test(value)) version = Date.parse(value.replace(',', '.').replace(' ', 'T'));
  else return null;
  // Beyond 2^53 two versions could compare equal after conversion: refuse rather than misorder.
  return Number.isFinite(version) && Math.abs(version) <= Number.MAX_SAFE_INTEGER ? version : null;
}

export function readOrderFields(settings: PartnerSettings, headers: RequestHeaders, body: unknown): OrderFields {
  if (settings.orderKeyFrom === undefined || settings.versionFrom === undefined) return { order: null, unreadable: null };
  const key = orderKeyOf(read(settings.orderKeyFrom, headers, body));
  if (key === null) return { order: null, unreadable: 'key' };
  const version = orderVersionOf(read(settings.versionFrom, headers, body));
  if (version === null) return { order: null, unreadable: 'version' };
  return { order: { key, version, onDead: settings.onDead ?? 'continue' }, unreadable: null };
}
