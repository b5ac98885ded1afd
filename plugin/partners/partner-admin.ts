import type { Knex } from 'knex';
import { WebhookError } from '../errors.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { openSecret, parseStoredSecrets, sealSecret, type StoredSecret } from '../secrets/stored-secret.js';
import { resolvePartnerScheme } from '../providers/partner-scheme.js';
import { CUSTOM_SCHEME, DEFAULT_SCHEME, isSchemeName, SCHEME_NAMES } from '../signatures/index.js';
import type { Dialect } from '../store/dialect.js';
import {
  findPartnerRow,
  insertPartnerRow,
  listPartnerRows,
  updatePartnerRow,
  type PartnerRow,
} from '../store/partners.js';
import type { Clock, SchemeName } from '../types.js';
import { partnerSettingsSchema, readPartnerSettings, type PartnerSettings } from './partner-settings.js';
import { isValidSlug, SLUG_RULE } from './slug.js';

/** What the CLI and the admin routes show of a partner: never a secret, only when each was added. */
export interface PartnerView {
  slug: string;
  scheme: SchemeName;
  enabled: boolean;
  settings: PartnerSettings;
  secrets: Array<{ addedAt: string; encrypted: boolean }>;
  createdAt: string;
  updatedAt: string;
  /**
   * Set when part of the stored row cannot be read (secrets or settings edited by hand, an unknown
   * scheme): the row is still listed, so one bad row never hides the others.
   */
  problem?: string;
}

export interface PartnerAdminDeps {
  knex: Knex;
  dialect: Dialect;
  secretBox: SecretBox | null;
  clock: Clock;
  /** Called after every change, so a receiver in this process can drop its cached copy. */
  onChange?: () => void;
}

export interface AddPartnerInput {
  slug: string;
  scheme?: string;
  /** A preset name (`npx crm-webhooks presets`): implies scheme `custom`. */
  preset?: string;
  secret?: string;
  settings?: unknown;
}

const invalid = (message: string) => new WebhookError(400, 'bad_request', message);
const notFound = (slug: string) => new WebhookError(404, 'not_found', `no partner "${slug}"`);

/** Partner management shared by the CLI and the admin routes; secrets are sealed here and nowhere else. */
export function createPartnerAdmin(deps: PartnerAdminDeps) {
  const { knex, dialect, secretBox, clock } = deps;
  const changed = () => deps.onChange?.();

  function view(row: PartnerRow): PartnerView {
    const problems: string[] = [];
    let secrets: PartnerView['secrets'] = [];
    try {
      secrets = parseStoredSecrets(row.secrets, row.slug).map((s) => ({ addedAt: s.addedAt, encrypted: typeof s.enc === 'string' }));
    } catch (error) {
      problems.push((error as Error).message);
    }
    const settings = readPartnerSettings(row.settings);
    if (settings.problem) problems.push(`the settings column of partner "${row.slug}" cannot be read (${settings.problem})`);
    if (!isSchemeName(row.scheme)) problems.push(`partner "${row.slug}" has an unknown scheme`);
    return {
      slug: row.slug,
      scheme: row.scheme,
      enabled: row.enabled,
      settings: settings.settings,
      secrets,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
    };
  }

  /** The partner's scheme as the receive path will build it; a setting it lacks is a 400 now, not a 503 later. */
  function schemeOf(scheme: string, settings: PartnerSettings) {
    const resolved = resolvePartnerScheme(scheme, settings);
    if (!resolved.ok) throw invalid(resolved.problem);
    return resolved.scheme;
  }

  function checkedSecret(scheme: string, settings: PartnerSettings, secret: string | undefined): { value: string; warnings: string[] } {
    const resolved = schemeOf(scheme, settings);
    const label = settings.preset ?? scheme;
    let value: string;
    try {
      value = secret ?? resolved.generateSecret();
    } catch (error) {
      throw invalid((error as Error).message.replace(/^crm-webhooks: /, ''));
    }
    const problem = resolved.checkSecret(value);
    if (problem) throw invalid(`unusable secret for ${label}: ${problem}`);
    const warning = resolved.warnSecret?.(value) ?? null;
    return { value, warnings: warning ? [`weak secret for ${label}: ${warning}`] : [] };
  }

  /** Read-modify-write of one partner row under a row lock, so concurrent rotations do not lose a secret. */
  async function modify(slug: string, change: (row: PartnerRow) => Parameters<typeof updatePartnerRow>[2]): Promise<PartnerView> {
    return knex.transaction(async (trx) => {
      const row = await findPartnerRow(trx, dialect, slug, { forUpdate: true });
      if (!row) throw notFound(slug);
      await updatePartnerRow(trx, slug, change(row), clock.now());
      return view((await findPartnerRow(trx, dialect, slug))!);
    }).finally(changed);
  }

  async function show(slug: string): Promise<PartnerView> {
    const row = isValidSlug(slug) ? await findPartnerRow(knex, dialect, slug) : null;
    if (!row) throw notFound(slug);
    return view(row);
  }

  return {
    /** `warnings`: accepted, but the admin should know (a short secret). */
    async add(input: AddPartnerInput): Promise<{ partner: PartnerView; secret: string; warnings: string[] }> {
      if (!isValidSlug(input.slug)) throw invalid(SLUG_RULE);
      if (input.preset !== undefined && input.scheme !== undefined && input.scheme !== CUSTOM_SCHEME) throw invalid('a preset is its own scheme: give --preset or --scheme, not both');
      const scheme = input.preset !== undefined ? CUSTOM_SCHEME : input.scheme ?? DEFAULT_SCHEME;
      if (!isSchemeName(scheme)) throw invalid(`scheme must be one of ${SCHEME_NAMES.join(', ')}`);
      const given = { ...(input.settings as Record<string, unknown> | undefined), ...(input.preset === undefined ? {} : { preset: input.preset }) };
      const settings = partnerSettingsSchema.safeParse(given);
      if (!settings.success) throw invalid(`invalid settings: ${settings.error.issues[0]!.path.join('.')}: ${settings.error.issues[0]!.message}`);
      if (scheme !== CUSTOM_SCHEME && (settings.data.preset !== undefined || settings.data.signatureSpec !== undefined)) {
        throw invalid(`a preset or signature spec needs scheme ${CUSTOM_SCHEME}`);
      }
      const { value: secret, warnings } = checkedSecret(scheme, settings.data, input.secret);
      const secrets: StoredSecret[] = [sealSecret(secretBox, input.slug, secret, new Date(clock.now()))];
      try {
        await insertPartnerRow(
          knex,
          { slug: input.slug, scheme, secrets: JSON.stringify(secrets), enabled: true, settings: JSON.stringify(settings.data) },
          clock.now(),
        );
      } catch (error) {
        if (dialect.isDuplicateKey(error)) throw new WebhookError(409, 'conflict', `partner "${input.slug}" already exists`);
        throw error;
      }
      changed();
      return { partner: await show(input.slug), secret, warnings };
    },

    async list(): Promise<PartnerView[]> {
      return (await listPartnerRows(knex, dialect)).map(view);
    },

    show,

    setEnabled(slug: string, enabled: boolean): Promise<PartnerView> {
      return modify(slug, () => ({ enabled }));
    },

    updateSettings(slug: string, patch: Record<string, unknown>): Promise<PartnerView> {
      return modify(slug, (row) => {
        const merged = Object.fromEntries(
          Object.entries({ ...readPartnerSettings(row.settings).settings, ...patch }).filter(([, v]) => v !== undefined && v !== null),
        );
        const parsed = partnerSettingsSchema.safeParse(merged);
        if (!parsed.success) throw invalid(`invalid settings: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
        schemeOf(row.scheme, parsed.data);
        return { settings: JSON.stringify(parsed.data) };
      });
    },

    /** Adds a secret in front of the others; the old ones keep verifying until retired. */
    async rotate(slug: string, secret?: string): Promise<{ partner: PartnerView; secret: string; warnings: string[] }> {
      let added = '';
      let warnings: string[] = [];
      const partner = await modify(slug, (row) => {
        ({ value: added, warnings } = checkedSecret(row.scheme, readPartnerSettings(row.settings).settings, secret));
        const secrets = [sealSecret(secretBox, slug, added, new Date(clock.now())), ...parseStoredSecrets(row.secrets, slug)];
        return { secrets: JSON.stringify(secrets) };
      });
      return { partner, secret: added, warnings };
    },

    /** Keeps only the newest secret. */
    async retireSecrets(slug: string): Promise<{ partner: PartnerView; retired: number }> {
      let retired = 0;
      const partner = await modify(slug, (row) => {
        const secrets = parseStoredSecrets(row.secrets, slug);
        retired = Math.max(0, secrets.length - 1);
        return { secrets: JSON.stringify(secrets.slice(0, 1)) };
      });
      return { partner, retired };
    },

    /**
     * Re-seals every stored secret from one key to another (either may be null: plaintext), one
     * partner per transaction; a partner whose secrets the old key cannot open stops the run with
     * its name and leaves the rest as they were.
     */
    async reencrypt(from: SecretBox | null, to: SecretBox | null): Promise<{ partners: number; secrets: number }> {
      let partners = 0;
      let secrets = 0;
      for (const { slug } of await listPartnerRows(knex, dialect)) {
        await modify(slug, (row) => {
          // Entries already under the new key are kept, so an interrupted run can simply be repeated.
          const resealed = parseStoredSecrets(row.secrets, slug).map((s) =>
            to && s.enc?.split('.')[1] === to.kid ? s : sealSecret(to, slug, openSecret(from, slug, s), new Date(s.addedAt)),
          );
          partners += 1;
          secrets += resealed.length;
          return { secrets: JSON.stringify(resealed) };
        });
      }
      return { partners, secrets };
    },
  };
}

export type PartnerAdmin = ReturnType<typeof createPartnerAdmin>;
