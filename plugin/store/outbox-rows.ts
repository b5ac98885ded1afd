import type { OutboxStatus } from '../types.js';
import { fromDbTime, fromDbTimeOrNull } from './time.js';

/** One outbox row as admins see it, without the (possibly large) payload and headers. Times are ISO-8601 UTC. */
export interface OutboxRowView {
  id: number;
  partner: string;
  eventId: string;
  eventType: string | null;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lockedBy: string | null;
  lockedUntil: string | null;
  lastError: string | null;
  receivedAt: string;
  processedAt: string | null;
  /** Issue 12: the record and version (null when unordered), and why a done row skipped its handlers (`stale`). */
  orderKey: string | null;
  orderVersion: number | null;
  skippedReason: string | null;
}

export interface OutboxRowDetail extends OutboxRowView {
  /** The body parsed as JSON, or the raw text when it does not parse. */
  payload: unknown;
  /** As stored: signature values were already redacted on the way in. */
  headers: Record<string, string>;
}

export const VIEW_COLUMNS = [
  'id', 'partner', 'event_id', 'event_type', 'status', 'attempts', 'next_attempt_at',
  'locked_by', 'locked_until', 'last_error', 'received_at', 'processed_at',
  'order_key', 'order_version', 'skipped_reason',
] as const;

export const DETAIL_COLUMNS = [...VIEW_COLUMNS, 'payload', 'headers'] as const;

export interface RawViewRow {
  id: number | string;
  partner: string;
  event_id: string;
  event_type: string | null;
  status: OutboxStatus;
  attempts: number | string;
  next_attempt_at: string | Date;
  locked_by: string | null;
  locked_until: string | Date | null;
  last_error: string | null;
  received_at: string | Date;
  processed_at: string | Date | null;
  order_key: string | null;
  order_version: number | string | null;
  skipped_reason: string | null;
}

export interface RawDetailRow extends RawViewRow {
  payload: string;
  headers: string;
}

const iso = (value: unknown) => fromDbTime(value).toISOString();
const isoOrNull = (value: unknown) => fromDbTimeOrNull(value)?.toISOString() ?? null;

export function toRowView(raw: RawViewRow): OutboxRowView {
  return {
    id: Number(raw.id),
    partner: raw.partner,
    eventId: raw.event_id,
    eventType: raw.event_type,
    status: raw.status,
    attempts: Number(raw.attempts),
    nextAttemptAt: iso(raw.next_attempt_at),
    lockedBy: raw.locked_by,
    lockedUntil: isoOrNull(raw.locked_until),
    lastError: raw.last_error,
    receivedAt: iso(raw.received_at),
    processedAt: isoOrNull(raw.processed_at),
    orderKey: raw.order_key,
    orderVersion: raw.order_version === null ? null : Number(raw.order_version),
    skippedReason: raw.skipped_reason,
  };
}

export function toRowDetail(raw: RawDetailRow): OutboxRowDetail {
  return { ...toRowView(raw), payload: parsePayload(raw.payload), headers: parseHeaders(raw.headers) };
}

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Headers are written by the receive path as a JSON object of strings; anything else reads as none. */
function parseHeaders(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, typeof v === 'string' ? v : JSON.stringify(v)]));
}
