import { parseSignatureSpec } from '../signatures/signature-spec.js';
import { HMAC_PRESETS } from './hmac-presets.js';
import { MICROSOFT_GRAPH } from './microsoft-graph.js';
import type { Preset } from './preset.js';
import { SALESFORCE_OUTBOUND } from './salesforce-outbound.js';

/** Every preset, by name: `partner add --preset`, `presets` and the known-answer tests read this one list. */
export const PRESETS: ReadonlyMap<string, Preset> = new Map([...HMAC_PRESETS, SALESFORCE_OUTBOUND, MICROSOFT_GRAPH].map((p) => [p.name, p]));

export const PRESET_NAMES: readonly string[] = Object.freeze([...PRESETS.keys()]);

export function findPreset(name: string): Preset | undefined {
  return PRESETS.get(name);
}

/** Signature header names of every preset, for the logger's redaction list. */
export function presetSignatureHeaders(): string[] {
  const names: string[] = [];
  for (const preset of PRESETS.values()) {
    const parsed = preset.spec ? parseSignatureSpec(preset.spec) : null;
    if (parsed?.ok && parsed.spec.signature.from.startsWith('header:')) names.push(parsed.spec.signature.from.slice(7));
  }
  return names;
}
