import { ConfigError } from '../errors.js';
import { githubScheme } from './github.js';
import { hmacSha256Scheme } from './hmac-sha256.js';
import { standardWebhooksScheme } from './standard-webhooks.js';
import { stripeScheme } from './stripe.js';
import type { SignatureScheme } from './types.js';

/**
 * The one list of code-defined schemes: names, the CLI's choices, the logger's redaction list and
 * the tests' per-scheme switches are all derived from it, so a scheme added here cannot be
 * forgotten elsewhere (a Record keyed by BuiltInSchemeName stops compiling).
 */
const BUILT_IN_SCHEMES = Object.freeze({
  'hmac-sha256': hmacSha256Scheme,
  'standard-webhooks': standardWebhooksScheme,
  stripe: stripeScheme,
  github: githubScheme,
} satisfies Record<string, SignatureScheme>);

export type BuiltInSchemeName = keyof typeof BUILT_IN_SCHEMES;

/** A partner whose signature is described by data: a stored spec, or a named preset. */
export const CUSTOM_SCHEME = 'custom';

export type SchemeName = BuiltInSchemeName | typeof CUSTOM_SCHEME;

/** The code-defined schemes, the first being the default for a new partner. */
export const BUILT_IN_SCHEME_NAMES: readonly BuiltInSchemeName[] = Object.freeze(Object.keys(BUILT_IN_SCHEMES) as BuiltInSchemeName[]);

/** Every value the `scheme` column may hold. */
export const SCHEME_NAMES: readonly SchemeName[] = Object.freeze([...BUILT_IN_SCHEME_NAMES, CUSTOM_SCHEME]);

export const DEFAULT_SCHEME: BuiltInSchemeName = 'hmac-sha256';

export function isSchemeName(value: unknown): value is SchemeName {
  return typeof value === 'string' && (SCHEME_NAMES as readonly string[]).includes(value);
}

export function isBuiltInSchemeName(value: unknown): value is BuiltInSchemeName {
  return typeof value === 'string' && (BUILT_IN_SCHEME_NAMES as readonly string[]).includes(value);
}

/** Throws ConfigError for a name that is not a code-defined scheme (a stored row or flag nobody validated). */
export function getScheme(name: BuiltInSchemeName): SignatureScheme {
  if (!isBuiltInSchemeName(name)) {
    throw new ConfigError(`unknown signature scheme "${String(name)}"; expected one of ${BUILT_IN_SCHEME_NAMES.join(', ')}`);
  }
  return BUILT_IN_SCHEMES[name];
}

/** Signature header names of every code-defined scheme. */
export function builtInSignatureHeaders(): string[] {
  return BUILT_IN_SCHEME_NAMES.flatMap((name) => BUILT_IN_SCHEMES[name].signatureHeaders);
}
