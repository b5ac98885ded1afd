import type { Context } from 'koa';
import { WebhookError } from '../errors.js';
import { isValidSlug } from '../partners/slug.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../types.js';

/** Parsing of the admin routes' query strings and path ids: anything malformed is a 400, never a 500. */
const badRequest = (message: string) => new WebhookError(400, 'bad_request', message);

/** One query parameter; given twice it is refused rather than silently picking one. */
export function queryParam(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw badRequest(`${name} may be given once`);
  return value === undefined || value === '' ? undefined : value;
}

export function parseStatus(text: string | undefined): OutboxStatus | undefined {
  if (text === undefined) return undefined;
  if (!(OUTBOX_STATUSES as readonly string[]).includes(text)) throw badRequest(`status must be one of ${OUTBOX_STATUSES.join(', ')}`);
  return text as OutboxStatus;
}

export function parsePartner(text: string | undefined): string | undefined {
  if (text !== undefined && !isValidSlug(text)) throw badRequest('partner must be 1 to 64 of a-z, 0-9, "-" and "_"');
  return text;
}

export function parseLimit(text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= max)) throw badRequest(`limit must be a whole number from 1 to ${max}`);
  return value;
}

export function parseId(text: string | undefined): number {
  const value = text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1)) throw badRequest('the outbox id must be a positive whole number');
  return value;
}

/** Event ids and types as the contract allows them: 1 to 191 characters without control characters. */
export function parseText(name: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  if (text.length > 191 || /[\u0000-\u001f\u007f]/.test(text)) throw badRequest(`${name} must be 1 to 191 characters without control characters`);
  return text;
}

/** A time as ISO-8601 (2026-12-02T10:00:00Z) or milliseconds since the epoch. */
export function parseTime(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\d{1,15}$/.test(text) ? Number(text) : /^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?$/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(value)) throw badRequest(`${name} must be an ISO-8601 time such as 2026-12-02T10:00:00Z, or milliseconds since 1970`);
  return value;
}

/** The keyset cursor: the `next` of the previous page. */
export function parseBefore(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseId(text);
}
