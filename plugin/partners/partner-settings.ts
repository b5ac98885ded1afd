import { z } from 'zod';
import { parseCidrs } from '../ingest/client-ip.js';
import { PRESET_NAMES } from '../providers/presets.js';
import { parseLocation } from '../signatures/event-locator.js';
import { parseSignatureSpec } from '../signatures/signature-spec.js';

/** Per-partner settings, stored as JSON in webhook_partners.settings. All optional. */
const location = z.string().superRefine((value, ctx) => {
  const parsed = parseLocation(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
});

const cidr = z.string().superRefine((value, ctx) => {
  try {
    parseCidrs([value]);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

export const partnerSettingsSchema = z
  .object({
    toleranceSeconds: z.number().int().min(1).max(7 * 24 * 3600).optional(),
    /** Content types accepted besides application/json and application/*+json. */
    contentTypes: z.array(z.string().regex(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+*-]+$/i)).max(20).optional(),
    idFrom: location.optional(),
    typeFrom: location.optional(),
    rateLimit: z.object({ perSecond: z.number().positive(), burst: z.number().int().min(1) }).strict().optional(),
    allowIps: z.array(cidr).max(1000).optional(),
    /** false: a byte-identical body under a new id is a new event (schemes that sign no id or timestamp). */
    dedupeBodyHash: z.boolean().optional(),
    /** The URL the provider calls, as it sees it: signed by Twilio, Square and HubSpot v2/v3. */
    publicUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
    /** For scheme `custom`: a named preset (`npx crm-webhooks presets`)… */
    preset: z.string().refine((name) => PRESET_NAMES.includes(name), { message: `unknown preset; expected one of ${PRESET_NAMES.join(', ')}` }).optional(),
    /** …or a signature spec of the partner's own. */
    signatureSpec: z.unknown().superRefine((value, ctx) => {
      const parsed = parseSignatureSpec(value);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
    }).optional(),
    /** Extra values a preset needs, such as Salesforce's organizationId. */
    presetSettings: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,31}$/), z.string().max(256)).optional(),
    /** Issue 12: where the record's key and version are; with both set, a key's events run one at a time, in version order. */
    orderKeyFrom: location.optional(),
    versionFrom: location.optional(),
    /** What a dead event does to its key's later events: let them run (continue), or hold them until a replay (block). */
    onDead: z.enum(['continue', 'block']).optional(),
  })
  .strict()
  .superRefine((settings, ctx) => {
    if ((settings.orderKeyFrom === undefined) !== (settings.versionFrom === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['orderKeyFrom'], message: 'orderKeyFrom and versionFrom go together' });
    }
  });

export type PartnerSettings = z.output<typeof partnerSettingsSchema>;

/** Parses stored settings; a row edited by hand into nonsense reads as no settings rather than crashing. */
export function readPartnerSettings(json: string): { settings: PartnerSettings; problem: string | null } {
  try {
    const parsed = partnerSettingsSchema.safeParse(JSON.parse(json));
    if (parsed.success) return { settings: parsed.data, problem: null };
    return { settings: {}, problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  } catch {
    return { settings: {}, problem: 'not valid JSON' };
  }
}
