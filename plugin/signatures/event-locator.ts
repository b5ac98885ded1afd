import { ConfigError } from '../errors.js';
import { readBodyPath } from './body-path.js';
import { headerValue } from './header.js';
import type { LocatedEvent, RequestHeaders, SignatureScheme } from './types.js';

/** Where a partner's settings say an event's id or type lives. */
export type EventLocation =
  | { readonly source: 'header'; readonly name: string }
  | { readonly source: 'body'; readonly path: readonly string[] };

export type ParsedLocation = { ok: true; location: EventLocation } | { ok: false; error: string };

export interface LocateOverrides {
  /** `header:<name>` or `body:<dot.path>`. */
  idFrom?: string;
  typeFrom?: string;
}

const MAX_LOCATION_LENGTH = 256;
const MAX_PATH_SEGMENTS = 16;
// RFC 9110 token characters: anything else can never arrive as a header name.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PATH_SEGMENT = /^[^.\s]+$/;

/** Parses `header:<name>` or `body:<dot.path>`; the error is one line, fit for a CLI. */
export function parseLocation(text: string): ParsedLocation {
  const fail = (why: string): ParsedLocation => ({
    ok: false,
    error: `invalid location "${text.slice(0, 64)}": ${why}`,
  });
  if (text.length > MAX_LOCATION_LENGTH) return fail(`longer than ${MAX_LOCATION_LENGTH} characters`);
  const colon = text.indexOf(':');
  const source = colon < 0 ? '' : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  if (source === 'header') {
    if (!HEADER_NAME.test(rest)) return fail('expected header:<name> with a valid HTTP header name');
    return { ok: true, location: { source: 'header', name: rest.toLowerCase() } };
  }
  if (source === 'body') {
    const path = rest.split('.');
    if (rest === '' || !path.every((segment) => PATH_SEGMENT.test(segment))) {
      return fail('expected body:<dot.path> such as body:data.object.id, with no empty segment or space');
    }
    if (path.length > MAX_PATH_SEGMENTS) return fail(`more than ${MAX_PATH_SEGMENTS} path segments`);
    return { ok: true, location: { source: 'body', path } };
  }
  return fail('expected header:<name> or body:<dot.path>');
}

function read(location: EventLocation, headers: RequestHeaders, body: unknown): unknown {
  return location.source === 'header' ? headerValue(headers, location.name) : readBodyPath(body, location.path);
}

function parseOrThrow(field: string, text: string): EventLocation {
  const parsed = parseLocation(text);
  // Settings are validated when saved; reaching this means stored settings were edited by hand.
  if (!parsed.ok) throw new ConfigError(`partner setting ${field}: ${parsed.error}`);
  return parsed.location;
}

/**
 * The raw event id and type of a request: where the partner's overrides say, else where the
 * scheme's senders put them. An override replaces the whole value (GitHub's `<event>.<action>`
 * joining is the scheme's default, not applied to an overridden type).
 */
export function locateEvent(
  scheme: Pick<SignatureScheme, 'locate'>,
  headers: RequestHeaders,
  body: unknown,
  overrides: LocateOverrides = {},
): LocatedEvent {
  const located = scheme.locate(headers, body);
  const { idFrom, typeFrom } = overrides;
  return {
    id: idFrom === undefined ? located.id : read(parseOrThrow('idFrom', idFrom), headers, body),
    type: typeFrom === undefined ? located.type : read(parseOrThrow('typeFrom', typeFrom), headers, body),
  };
}
