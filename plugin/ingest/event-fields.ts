import { WebhookError } from '../errors.js';

/**
 * docs/http.md: event ids are strings or integers of 1 to 191 characters without control
 * characters; types are strings of at most 191 characters. Checked here so a value too long for its
 * column is a 400, never a database error turned 503.
 */
const MAX_CHARS = 191;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function charCount(s: string): number {
  return Array.from(s).length; // code points, as MySQL's VARCHAR counts them
}

export function normalizeEventId(value: unknown): string {
  if (value === undefined || value === null || value === '') {
    throw new WebhookError(400, 'missing_event_id', 'no event id found in the request');
  }
  let id: string;
  if (typeof value === 'number') {
    // Beyond 2^53 JSON numbers lose digits, and two events would share one id.
    if (!Number.isSafeInteger(value)) {
      throw new WebhookError(400, 'invalid_event_id', 'a numeric event id must be an integer below 2^53; send larger ids as strings');
    }
    id = String(value);
  } else if (typeof value === 'string') {
    id = value;
  } else {
    throw new WebhookError(400, 'invalid_event_id', 'the event id must be a string or an integer');
  }
  if (charCount(id) > MAX_CHARS || CONTROL.test(id) || !id.isWellFormed()) {
    throw new WebhookError(400, 'invalid_event_id', 'the event id must be 1 to 191 characters without control characters');
  }
  return id;
}

export function normalizeEventType(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || charCount(value) > MAX_CHARS || CONTROL.test(value) || !value.isWellFormed()) {
    throw new WebhookError(400, 'invalid_event_type', 'the event type must be a string of at most 191 characters without control characters');
  }
  return value;
}
