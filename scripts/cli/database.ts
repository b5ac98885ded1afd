import type { Knex } from 'knex';
import { ConfigError, SecretKeyError, WebhookError } from '../../plugin/errors.js';
import { displayUrl, openDatabase } from '../../plugin/store/connect.js';

export { displayUrl };
import { dialectOf, type Dialect } from '../../plugin/store/dialect.js';
import { OUTBOX_TABLE } from '../../plugin/store/outbox-insert.js';
import { PARTNERS_TABLE } from '../../plugin/store/partners.js';
import { CliFailure, messageOf } from './failure.js';
import { MAX_PRUNE_STREAMS } from '../../plugin/outbox/outbox-admin.js';

const PLUGIN_ERRORS = [WebhookError, ConfigError, SecretKeyError, CliFailure];

/** Same default as the demo host, so `npx crm-webhooks` on a fresh checkout manages the demo's data. */
export { DEFAULT_DATABASE_URL } from '../../plugin/store/connect.js';

export interface Database {
  knex: Knex;
  dialect: Dialect;
}

/**
 * Opens the database, runs `work`, and always destroys the pool afterwards so the process ends as
 * soon as the command is done. Failures that are about the database rather than the command get a
 * sentence naming it (without the password).
 */
export async function withDatabase<T>(url: string, work: (db: Database) => Promise<T>): Promise<T> {
  const knex = openQuietly(url);
  const dialect = dialectOf(knex);
  try {
    await probe(knex, dialect, url);
    return await work({ knex, dialect });
  } catch (error) {
    throw await explainDatabaseError(error, url, { knex, dialect });
  } finally {
    await knex.destroy();
  }
}

/** Connects before the command runs, so any failure to get in (down, refused, denied, no such database) is named as such. */
async function probe(knex: Knex, dialect: Dialect, url: string): Promise<void> {
  try {
    await knex.raw('SELECT 1');
  } catch (error) {
    const verb = dialect.isUnavailable(error) ? 'cannot reach' : 'cannot connect to';
    throw new CliFailure(`${verb} the database at ${displayUrl(url)}: ${messageOf(error)}`, 1, { cause: error });
  }
}


/**
 * openDatabase's settings, but with knex's own logging off: knex prints "Acquire connection error"
 * with a stack to stdout, which would break both the one-line failure and --json's clean stdout.
 * The error itself still reaches us and is reported once.
 */
function openQuietly(url: string): Knex {
  try {
    // Room for `outbox prune --streams`; knex opens a connection only when one is asked for.
    return openDatabase(url, { poolMax: MAX_PRUNE_STREAMS, quiet: true });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new CliFailure(`cannot create the directory of the database at ${displayUrl(url)}: ${messageOf(error)}`, 1, { cause: error });
  }
}

async function explainDatabaseError(error: unknown, url: string, db: Database): Promise<unknown> {
  if (!isDriverError(error)) return error;
  if (db.dialect.isUnavailable(error)) {
    return new CliFailure(`cannot reach the database at ${displayUrl(url)}: ${messageOf(error)}`, 1, { cause: error });
  }
  if (await tablesMissing(db.knex)) {
    return new CliFailure(`the webhook tables do not exist in ${displayUrl(url)}: run \`crm-webhooks migrate\` first`, 1, { cause: error });
  }
  return new CliFailure(`database error: ${messageOf(error)}`, 1, { cause: error });
}

/** Errors from knex or a driver carry a code or errno; the plugin's own errors are already worded for people. */
function isDriverError(error: unknown): boolean {
  if (!(error instanceof Error) || PLUGIN_ERRORS.some((type) => error instanceof type)) return false;
  const e = error as { code?: unknown; errno?: unknown; name: string };
  return typeof e.code === 'string' || typeof e.errno === 'number' || e.name === 'KnexTimeoutError' || error instanceof AggregateError;
}

async function tablesMissing(knex: Knex): Promise<boolean> {
  try {
    return !(await knex.schema.hasTable(PARTNERS_TABLE)) || !(await knex.schema.hasTable(OUTBOX_TABLE));
  } catch {
    return false;
  }
}
