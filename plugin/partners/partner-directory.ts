import type { Knex } from 'knex';
import { SecretKeyError, StoreUnavailableError } from '../errors.js';
import { parseCidrs, type CidrList } from '../ingest/client-ip.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { openSecret, parseStoredSecrets } from '../secrets/stored-secret.js';
import { getScheme, isSchemeName } from '../signatures/index.js';
import type { SignatureScheme } from '../signatures/types.js';
import type { Dialect } from '../store/dialect.js';
import { listPartnerRows, type PartnerRow } from '../store/partners.js';
import type { Clock, Logger } from '../types.js';
import { readPartnerSettings, type PartnerSettings } from './partner-settings.js';

/** A partner as the receive path needs it: secrets already opened. Lives only in memory. */
export interface ActivePartner {
  slug: string;
  enabled: boolean;
  scheme: SignatureScheme;
  secrets: readonly string[];
  settings: PartnerSettings;
  /** Set when the stored secrets cannot be opened (key missing or wrong): requests get 503, not 401. */
  secretsProblem: SecretKeyError | null;
  /**
   * Set when the stored settings do not validate (edited by hand): requests get 503 rather than
   * being let through without the allowlist or rate limit the settings meant to apply.
   */
  settingsProblem: string | null;
  /** The allowlist, parsed once per snapshot; null when the partner has none. */
  allowedIps: CidrList | null;
  /** Some secret is stored unencrypted (added without a key). */
  storedPlain: boolean;
}

export interface PartnerDirectory {
  get(slug: string): Promise<ActivePartner | null>;
  /** Loads now; used at start so key problems are reported before the first request. */
  refresh(): Promise<ReadonlyMap<string, ActivePartner>>;
  /** Forgets the snapshot: the next request reloads it first. */
  invalidate(): void;
}

export interface PartnerDirectoryDeps {
  knex: Knex;
  dialect: Dialect;
  secretBox: SecretBox | null;
  clock: Clock;
  logger: Logger;
  cacheMs: number;
}

/**
 * A snapshot of the whole (small) partners table. Unknown slugs are answered from memory, so a flood
 * of requests to random slugs costs no queries. The snapshot is served fresh for `cacheMs`, served
 * while reloading in the background for another `cacheMs`, and reloaded before answering after
 * that: a change made by the CLI in another process is seen within 2 × cacheMs plus one query.
 */
export function createPartnerDirectory(deps: PartnerDirectoryDeps): PartnerDirectory {
  const { knex, dialect, secretBox, clock, logger, cacheMs } = deps;
  let snapshot: ReadonlyMap<string, ActivePartner> | null = null;
  let loadedAt = Number.NEGATIVE_INFINITY;
  let loading: Promise<ReadonlyMap<string, ActivePartner>> | null = null;
  const reported = new Set<string>();

  function activate(row: PartnerRow): ActivePartner {
    const { settings, problem } = readPartnerSettings(row.settings);
    if (problem) warnOnce(`settings:${row.slug}:${row.settings}`, { partner: row.slug, problem }, 'partner settings are invalid: its requests get 503 until they are fixed');
    // Settings are validated, so the CIDRs parse; unreadable settings fail closed via settingsProblem.
    const allowedIps = settings.allowIps?.length ? parseCidrs(settings.allowIps) : null;
    const base = { slug: row.slug, enabled: row.enabled, settings, settingsProblem: problem, allowedIps, storedPlain: false };
    if (!isSchemeName(row.scheme)) {
      const error = new SecretKeyError(`partner "${row.slug}" has unknown scheme "${row.scheme}"`);
      warnOnce(`scheme:${row.slug}:${row.scheme}`, { partner: row.slug }, error.message);
      return { ...base, scheme: getScheme('hmac-sha256'), secrets: [], secretsProblem: error };
    }
    try {
      const stored = parseStoredSecrets(row.secrets, row.slug);
      const secrets = stored.map((s) => openSecret(secretBox, row.slug, s));
      return { ...base, scheme: getScheme(row.scheme), secrets, secretsProblem: null, storedPlain: stored.some((s) => typeof s.plain === 'string') };
    } catch (error) {
      const problem = error instanceof SecretKeyError ? error : new SecretKeyError(String(error), { cause: error });
      warnOnce(`secrets:${row.slug}:${row.secrets}`, { partner: row.slug }, problem.message);
      return { ...base, scheme: getScheme(row.scheme), secrets: [], secretsProblem: problem };
    }
  }

  function warnOnce(key: string, fields: object, message: string): void {
    if (reported.has(key)) return;
    reported.add(key);
    logger.error(fields, message);
  }

  function reload(): Promise<ReadonlyMap<string, ActivePartner>> {
    loading ??= (async () => {
      try {
        const rows = await listPartnerRows(knex, dialect);
        snapshot = new Map(rows.map((row) => [row.slug, activate(row)]));
        loadedAt = clock.now();
        return snapshot;
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  return {
    refresh: reload,
    invalidate() {
      loadedAt = Number.NEGATIVE_INFINITY;
    },
    async get(slug) {
      const age = clock.now() - loadedAt;
      if (snapshot && age < cacheMs) return snapshot.get(slug) ?? null;
      if (snapshot && age < 2 * cacheMs) {
        reload().catch(() => undefined); // the next request past the window reports the failure
        return snapshot.get(slug) ?? null;
      }
      try {
        return (await reload()).get(slug) ?? null;
      } catch (error) {
        // An event cannot be committed without the database anyway; without any snapshot we cannot
        // even say whether the partner exists, so that too is "try again later".
        if (snapshot) return snapshot.get(slug) ?? null;
        throw new StoreUnavailableError('partners could not be loaded', { cause: error });
      }
    },
  };
}
