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

export {
  BUILT_IN_SCHEME_NAMES,
  CUSTOM_SCHEME,
  DEFAULT_SCHEME,
  SCHEME_NAMES,
  builtInSignatureHeaders,
  getScheme,
  isBuiltInSchemeName,
  isSchemeName,
  type BuiltInSchemeName,
  type SchemeName,
} from './registry.js';
