import { ConfigError } from '../errors.js';
import type { SchemeName } from '../types.js';
import { githubScheme } from './github.js';
import { hmacSha256Scheme } from './hmac-sha256.js';
import { standardWebhooksScheme } from './standard-webhooks.js';
import { stripeScheme } from './stripe.js';
import type { SignatureScheme } from './types.js';

export type {
  LocatedEvent,
  RequestHeaders,
  SignInput,
  SignatureScheme,
  Verdict,
  VerifyFailureCode,
  VerifyRequest,
} from './types.js';
export {
  locateEvent,
  parseLocation,
  type EventLocation,
  type LocateOverrides,
  type ParsedLocation,
} from './event-locator.js';

/** Every scheme a partner may use; the first is the default for a new partner. */
export const SCHEME_NAMES: readonly SchemeName[] = Object.freeze([
  'hmac-sha256',
  'standard-webhooks',
  'stripe',
  'github',
] as const satisfies readonly SchemeName[]);

export const DEFAULT_SCHEME: SchemeName = 'hmac-sha256';

const SCHEMES: Readonly<Record<SchemeName, SignatureScheme>> = Object.freeze({
  'hmac-sha256': hmacSha256Scheme,
  'standard-webhooks': standardWebhooksScheme,
  stripe: stripeScheme,
  github: githubScheme,
});

export function isSchemeName(value: unknown): value is SchemeName {
  return typeof value === 'string' && (SCHEME_NAMES as readonly string[]).includes(value);
}

/** Throws ConfigError for a name that is not a scheme (a stored row or flag nobody validated). */
export function getScheme(name: SchemeName): SignatureScheme {
  if (!isSchemeName(name)) {
    throw new ConfigError(`unknown signature scheme "${String(name)}"; expected one of ${SCHEME_NAMES.join(', ')}`);
  }
  return SCHEMES[name];
}
