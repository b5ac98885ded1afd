import type { SignatureSpecInput } from '../signatures/signature-spec.js';
import type { SignatureScheme } from '../signatures/types.js';
import type { AnswerKind } from './answers.js';
import type { HandshakeKind } from './handshakes/index.js';

/** A per-partner value a preset needs besides the secret (`--setting name=value` or `--public-url`). */
export type PresetSettingName = 'publicUrl' | 'organizationId' | 'verifyToken';

export interface PresetBuildContext {
  publicUrl?: string;
  presetSettings: Readonly<Record<string, string>>;
}

/**
 * One provider, as data: its signature spec (or, where a spec cannot say it, a builder in code),
 * the content types it sends, and what an admin must know. Versioned so a partner row can say which
 * revision it was added under.
 */
export interface Preset {
  readonly name: string;
  readonly version: number;
  readonly provider: string;
  /** What `--secret` is for this provider, in its own words. */
  readonly secretIs: string;
  readonly spec?: SignatureSpecInput;
  /** Code-built schemes (Salesforce): only where a spec cannot describe the check. */
  readonly build?: (context: PresetBuildContext) => SignatureScheme;
  /** Content types accepted besides JSON. */
  readonly contentTypes: readonly string[];
  /** Settings that must be present for the preset to verify anything. */
  readonly requires: readonly PresetSettingName[];
  /** An IP allowlist must be set (the only check for unsigned providers). */
  readonly requiresAllowIps?: boolean;
  /** The handshake the provider demands before sending events, answered instead of stored. */
  readonly handshake?: HandshakeKind;
  /** The body the provider expects on success (Salesforce's SOAP Ack, Twilio's TwiML); absent: the contract's JSON. */
  readonly answer?: AnswerKind;
  /** Human summary for `presets`: signature, body, id/type. */
  readonly signature: string;
  readonly idType: string;
  readonly tolerance: string;
  readonly caveats: string;
  /** The provider's own page or SDK file the known-answer test follows. */
  readonly source: string;
}
