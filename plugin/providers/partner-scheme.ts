import type { PartnerSettings } from '../partners/partner-settings.js';
import { builtInSignatureHeaders, CUSTOM_SCHEME, getScheme, isBuiltInSchemeName } from '../signatures/registry.js';
import { parseSignatureSpec } from '../signatures/signature-spec.js';
import { createSpecScheme } from '../signatures/spec-scheme.js';
import type { SignatureScheme } from '../signatures/types.js';
import { getAnswer, type ProviderAnswer } from './answers.js';
import { getHandshake, type Handshake } from './handshakes/index.js';
import { findPreset, presetSignatureHeaders } from './presets.js';

export type ResolvedScheme =
  | { ok: true; scheme: SignatureScheme; contentTypes: readonly string[]; handshake?: Handshake; answer?: ProviderAnswer }
  | { ok: false; problem: string };

/**
 * The scheme a partner row stands for: one of the code schemes (the same frozen object every time,
 * so their hot path is unchanged), or, for `custom`, a verifier built from the partner's preset or
 * stored spec with its settings (public URL, organization id) bound in.
 */
export function resolvePartnerScheme(schemeName: string, settings: PartnerSettings): ResolvedScheme {
  if (isBuiltInSchemeName(schemeName)) return { ok: true, scheme: getScheme(schemeName), contentTypes: [] };
  if (schemeName !== CUSTOM_SCHEME) return { ok: false, problem: `unknown scheme "${schemeName}"` };
  const context = { ...(settings.publicUrl === undefined ? {} : { publicUrl: settings.publicUrl }), presetSettings: settings.presetSettings ?? {} };
  if (settings.preset !== undefined) {
    const preset = findPreset(settings.preset);
    if (!preset) return { ok: false, problem: `unknown preset "${settings.preset}"` };
    for (const name of preset.requires) {
      const present = name === 'publicUrl' ? settings.publicUrl !== undefined : context.presetSettings[name] !== undefined;
      if (!present) return { ok: false, problem: `preset ${preset.name} needs ${name === 'publicUrl' ? '--public-url' : `--setting ${name}=…`}` };
    }
    if (preset.requiresAllowIps && !settings.allowIps?.length) return { ok: false, problem: `preset ${preset.name} needs an IP allowlist (--allow-ip)` };
    const handshake = {
      ...(preset.handshake ? { handshake: getHandshake(preset.handshake) } : {}),
      ...(preset.answer ? { answer: getAnswer(preset.answer) } : {}),
    };
    if (preset.build) return { ok: true, scheme: preset.build(context), contentTypes: preset.contentTypes, ...handshake };
    const parsed = parseSignatureSpec(preset.spec);
    if (!parsed.ok) return { ok: false, problem: `preset ${preset.name}: ${parsed.error}` };
    return { ok: true, scheme: createSpecScheme(parsed.spec, context), contentTypes: preset.contentTypes, ...handshake };
  }
  if (settings.signatureSpec === undefined) return { ok: false, problem: 'a custom partner needs a preset or a signature spec' };
  const parsed = parseSignatureSpec(settings.signatureSpec);
  if (!parsed.ok) return { ok: false, problem: parsed.error };
  if (parsed.spec.content.includes('url') && settings.publicUrl === undefined) return { ok: false, problem: 'the spec signs the URL: set --public-url' };
  const contentTypes = parsed.spec.body === 'json' ? [] : parsed.spec.body === 'xml' ? ['text/xml', 'application/xml'] : ['application/x-www-form-urlencoded'];
  return { ok: true, scheme: createSpecScheme(parsed.spec, context), contentTypes };
}

/** Every signature header any scheme or preset reads: the default logger redacts them all. */
export function knownSignatureHeaders(): string[] {
  return [...new Set([...builtInSignatureHeaders(), ...presetSignatureHeaders()])];
}
