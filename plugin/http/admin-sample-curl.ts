import { randomBytes } from 'node:crypto';
import { resolvePartnerScheme } from '../providers/partner-scheme.js';
import type { PartnerSettings } from '../partners/partner-settings.js';

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * A curl command that sends one correctly signed test event to a new partner, shown next to its
 * secret right after creation (the only moment the secret is known). Timestamped schemes sign the
 * current time, so the command works for the partner's tolerance (default 5 minutes).
 */
export function sampleCurl(url: string, partner: { scheme: string; settings: PartnerSettings }, secret: string, nowMs: number): string | null {
  const resolved = resolvePartnerScheme(partner.scheme, partner.settings);
  if (!resolved.ok) return null;
  const id = `evt_sample_${randomBytes(6).toString('hex')}`;
  const type = 'sample.ping';
  const body = JSON.stringify({ id, type, data: { note: 'sent from the admin page' } });
  let signed: Record<string, string>;
  try {
    signed = resolved.scheme.sign({ secret, rawBody: body, id, type, timestampSeconds: Math.floor(nowMs / 1000) });
  } catch {
    return null; // a provider whose requests the plugin cannot sign (a public-key scheme): no sample
  }
  const headers = Object.entries({ 'content-type': 'application/json', ...signed }).map(([name, value]) => `-H ${quote(`${name}: ${value}`)}`);
  return ['curl -sS -i -X POST', quote(url), ...headers, '--data-binary', quote(body)].join(' ');
}
