import type { PartnerView } from '../../plugin/partners/partner-admin.js';
import type { PartnerSettings } from '../../plugin/partners/partner-settings.js';
import { fields, plural, table } from './output.js';

/** Where partners send events, as the host mounts the plugin (docs/http.md). */
export const endpointOf = (slug: string) => `POST /plugins/webhooks/${slug}`;

export function formatSettings(settings: PartnerSettings): string {
  const parts: string[] = [];
  if (settings.preset) parts.push(`preset ${settings.preset}`);
  if (settings.signatureSpec !== undefined) parts.push('own signature spec');
  if (settings.publicUrl) parts.push(`public URL ${settings.publicUrl}`);
  if (settings.presetSettings) parts.push(Object.entries(settings.presetSettings).map(([k, v]) => `${k}=${v}`).join(', '));
  if (settings.toleranceSeconds !== undefined) parts.push(`tolerance ${settings.toleranceSeconds}s`);
  if (settings.contentTypes?.length) parts.push(`content types ${settings.contentTypes.join(', ')}`);
  if (settings.idFrom) parts.push(`id from ${settings.idFrom}`);
  if (settings.typeFrom) parts.push(`type from ${settings.typeFrom}`);
  if (settings.rateLimit) parts.push(`rate ${settings.rateLimit.perSecond}/s burst ${settings.rateLimit.burst}`);
  if (settings.allowIps?.length) parts.push(`allow ${settings.allowIps.join(', ')}`);
  if (settings.dedupeBodyHash === false) parts.push('body-hash dedupe off');
  if (settings.orderKeyFrom) parts.push(`ordered by ${settings.orderKeyFrom}, version ${settings.versionFrom ?? '?'}, on dead ${settings.onDead ?? 'continue'}`);
  else if (settings.onDead) parts.push(`on dead ${settings.onDead}`);
  return parts.length ? parts.join('; ') : 'defaults';
}

function secretsSummary(partner: PartnerView): string {
  const count = partner.secrets.length;
  if (count === 0) return 'none';
  const encrypted = partner.secrets.filter((s) => s.encrypted).length;
  const storage = encrypted === count ? 'encrypted' : encrypted === 0 ? 'NOT encrypted' : `${encrypted} encrypted`;
  return `${plural(count, 'active secret')} (${storage}), newest added ${partner.secrets[0]!.addedAt}`;
}

/** Never prints a secret: PartnerView holds none, only when each was added and whether it is encrypted. */
export function formatPartner(partner: PartnerView): string {
  return fields([
    ['Partner', partner.slug],
    ['Endpoint', endpointOf(partner.slug)],
    ['Scheme', partner.scheme],
    ['Enabled', partner.enabled ? 'yes' : 'no (requests are refused with 403)'],
    ['Secrets', secretsSummary(partner)],
    ['Settings', formatSettings(partner.settings)],
    ...(partner.problem ? ([['Unreadable', partner.problem]] as Array<[string, string]>) : []),
    ['Created', partner.createdAt],
    ['Updated', partner.updatedAt],
  ]);
}

export function formatPartnerList(partners: readonly PartnerView[]): string {
  if (partners.length === 0) return 'No partners yet. Add one with: crm-webhooks partner add <slug>';
  const rows = table(
    ['SLUG', 'SCHEME', 'ENABLED', 'SECRETS', 'SETTINGS'],
    partners.map((p) => [p.slug, p.scheme, p.enabled ? 'yes' : 'no', p.problem ? 'UNREADABLE' : String(p.secrets.length), formatSettings(p.settings)]),
  );
  // One bad row is shown, not fatal: the others stay listed and the reason says what to repair.
  const problems = partners.filter((p) => p.problem).map((p) => `${p.slug}: unreadable: ${p.problem}`);
  return problems.length > 0 ? `${rows}\n\n${problems.join('\n')}` : rows;
}

/** The one time a secret is shown: the partner needs it, and it cannot be read back later. */
export function formatNewSecret(heading: string, partner: PartnerView, secret: string): string {
  return [heading, `Endpoint: ${endpointOf(partner.slug)}`, 'Secret (shown only this once; give it to the partner, keep no other copy):', `  ${secret}`].join('\n');
}
