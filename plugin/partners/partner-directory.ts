import type { Knex } from 'knex';
import { SecretKeyError, StoreUnavailableError } from '../errors.js';
import { parseCidrs, type CidrList } from '../ingest/client-ip.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { openSecret, parseStoredSecrets } from '../secrets/stored-secret.js';
import type { ProviderAnswer } from '../providers/answers.js';
import type { Handshake } from '../providers/handshakes/index.js';
import { resolvePartnerScheme } from '../providers/partner-scheme.js';
import { getScheme } from '../signatures/index.js';
import type { SignatureScheme } from '../signatures/types.js';
import type { Dialect } from '../store/dialect.js';
import { listPartnerRows, readPartnersMarker, type PartnerRow } from '../store/partners.js';
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
  /** The preset's handshake, answered instead of stored; null when the provider has none. */
  handshake: Handshake | null;
  /** The body the preset's provider expects on success; null for the contract's JSON. */
  answer: ProviderAnswer | null;
}

export interface PartnerDirectory {
  get(slug: string): Promise<ActivePartner | null>;
  /** Loads now; used at start so key problems are reported before the first request. */
  refresh(): Promise<ReadonlyMap<string, ActivePartner>>;
  /** Forgets the snapshot: the next request reloads it first. */
  invalidate(): void;
  /** Every partner, as fresh as a request would see them (a cheap marker check at most), never a forced reload. */
  all(): Promise<ReadonlyMap<string, ActivePartner>>;
}

export interface PartnerDirectoryDeps {
  knex: Knex;
  dialect: Dialect;
  secretBox: SecretBox | null;
  clock: Clock;
  logger: Logger;
  cacheMs: number;
  /** Longest a request waits for partners when none were ever loaded (a frozen database at start); default 5 s. */
  firstLoadWaitMs?: number;
}

/** A full reload at least this often, for rows edited by hand without raising their revision. */
const FULL_RELOAD_MS = 60_000;

/** Resolves after `ms` (or when `work` settles, whichever is first); never rejects. */
function settleWithin(work: Promise<unknown>, ms: number): Promise<'done' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
    timer.unref();
  });
  return Promise.race([work.then(() => 'done' as const, () => 'done' as const), late]).finally(() => clearTimeout(timer));
}

/**
 * A snapshot of the whole (small) partners table. Unknown slugs are answered from memory, so a flood
 * of requests to random slugs costs no queries. After `cacheMs` a request starts a check of a cheap
 * change marker (COUNT and SUM(revision), store/partners.ts) and the table is read again only when
 * the marker moved. Up to 2 × cacheMs the snapshot is served while the check runs; past that a
 * request waits for the check, but never longer than cacheMs from the check's start: a check stuck
 * on a frozen database must not hold refusals that need no database (issue 9), so the last snapshot
 * is served instead. A change made in another process is seen within 2 × cacheMs plus two queries.
 */
export function createPartnerDirectory(deps: PartnerDirectoryDeps): PartnerDirectory {
  const { knex, dialect, secretBox, clock, logger, cacheMs } = deps;
  const firstLoadWaitMs = deps.firstLoadWaitMs ?? 5000;
  let snapshot: ReadonlyMap<string, ActivePartner> | null = null;
  let marker: string | null = null;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let loadedAt = Number.NEGATIVE_INFINITY;
  let checking: { promise: Promise<ReadonlyMap<string, ActivePartner>>; startedAt: number } | null = null;
  // Bumped by invalidate(): a check that began before it must not mark the snapshot fresh.
  let generation = 0;
  const reported = new Set<string>();

  function activate(row: PartnerRow): ActivePartner {
    const { settings, problem } = readPartnerSettings(row.settings);
    if (problem) warnOnce(`settings:${row.slug}:${row.settings}`, { partner: row.slug, problem }, 'partner settings are invalid: its requests get 503 until they are fixed');
    // Settings are validated, so the CIDRs parse; unreadable settings fail closed via settingsProblem.
    const allowedIps = settings.allowIps?.length ? parseCidrs(settings.allowIps) : null;
    const resolved = resolvePartnerScheme(row.scheme, settings);
    // A preset's own content types (forms, XML) are accepted besides the partner's extra ones.
    const effective = resolved.ok && resolved.contentTypes.length > 0 ? { ...settings, contentTypes: [...resolved.contentTypes, ...(settings.contentTypes ?? [])] } : settings;
    const handshake = resolved.ok ? resolved.handshake ?? null : null;
    const answer = resolved.ok ? resolved.answer ?? null : null;
    const base = { slug: row.slug, enabled: row.enabled, settings: effective, settingsProblem: problem, allowedIps, storedPlain: false, handshake, answer };
    if (!resolved.ok) {
      const error = new SecretKeyError(`partner "${row.slug}": ${resolved.problem}`);
      warnOnce(`scheme:${row.slug}:${row.scheme}:${row.settings}`, { partner: row.slug }, error.message);
      return { ...base, scheme: getScheme('hmac-sha256'), secrets: [], secretsProblem: error };
    }
    try {
      const stored = parseStoredSecrets(row.secrets, row.slug);
      const secrets = stored.map((s) => openSecret(secretBox, row.slug, s));
      return { ...base, scheme: resolved.scheme, secrets, secretsProblem: null, storedPlain: stored.some((s) => typeof s.plain === 'string') };
    } catch (error) {
      const problem = error instanceof SecretKeyError ? error : new SecretKeyError(String(error), { cause: error });
      warnOnce(`secrets:${row.slug}:${row.secrets}`, { partner: row.slug }, problem.message);
      return { ...base, scheme: resolved.scheme, secrets: [], secretsProblem: problem };
    }
  }

  function warnOnce(key: string, fields: object, message: string): void {
    if (reported.has(key)) return;
    reported.add(key);
    logger.error(fields, message);
  }

  async function load(): Promise<ReadonlyMap<string, ActivePartner>> {
    // Marker first: a change landing between the two reads makes the next check reload again,
    // never leaves it unseen.
    const next = await readPartnersMarker(knex);
    const rows = await listPartnerRows(knex, dialect);
    snapshot = new Map(rows.map((row) => [row.slug, activate(row)]));
    marker = next;
    loadedAt = clock.now();
    return snapshot;
  }

  /** One check at a time: read the marker, reload only when it moved (or a full reload is due). */
  function check(force: boolean): Promise<ReadonlyMap<string, ActivePartner>> {
    if (checking) return checking.promise;
    const startedAt = clock.now();
    const startedIn = generation;
    const promise = (async () => {
      try {
        const mustLoad = force || snapshot === null || marker === null || startedAt - loadedAt >= FULL_RELOAD_MS;
        const current = mustLoad ? null : await readPartnersMarker(knex);
        const result = mustLoad || current !== marker ? await load() : snapshot!;
        if (startedIn === generation) checkedAt = startedAt;
        return result;
      } finally {
        checking = null;
      }
    })();
    checking = { promise, startedAt };
    return promise;
  }

  const lookup = (slug: string) => snapshot?.get(slug) ?? null;

  return {
    refresh: () => check(true),
    all: () => (snapshot && clock.now() - checkedAt < cacheMs ? Promise.resolve(snapshot) : check(false)),
    invalidate() {
      generation += 1;
      checkedAt = Number.NEGATIVE_INFINITY;
      marker = null;
    },
    async get(slug) {
      const now = clock.now();
      const age = now - checkedAt;
      if (snapshot && age < cacheMs) return lookup(slug);
      const pending = check(false);
      if (!snapshot) {
        // Without any snapshot we cannot even say whether the partner exists: "try again later".
        const outcome = await settleWithin(pending, firstLoadWaitMs);
        if (snapshot) return lookup(slug);
        const cause = outcome === 'late' ? new Error(`no answer within ${firstLoadWaitMs} ms`) : await pending.then(() => undefined, (e: unknown) => e);
        throw new StoreUnavailableError('partners could not be loaded', { cause });
      }
      pending.catch(() => undefined); // a failed check keeps the last snapshot; the next request retries
      if (age < 2 * cacheMs) return lookup(slug);
      const patience = checking ? checking.startedAt + cacheMs - now : 0;
      if (patience > 0) await settleWithin(pending, patience);
      return lookup(slug);
    },
  };
}
