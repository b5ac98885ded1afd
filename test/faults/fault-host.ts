import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import type { PluginOptions } from '../../plugin/index.js';
import { knexConfigFromUrl } from '../../plugin/store/connect.js';
import type { HandlerContext, WebhookEvent } from '../../plugin/types.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import type { PrivateMariadb } from '../helpers/private-mariadb.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

export const SECRET = 'fault-secret-0123456789abcdef';
export const PARTNER = 'faulty';
export const APPLIED_TABLE = 'fault_applied';

/** knex prints every failed connection attempt to the console; during an outage that is hundreds. */
const QUIET = { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined };

/** Fast settings for fault tests: short leases, quick polls, retries in fractions of a second. */
export const FAST_PROCESSING = {
  claimMs: 2000,
  pollIntervalMs: 50,
  maxPollIntervalMs: 250,
  handlerTimeoutMs: 1500,
  stopTimeoutMs: 1000,
  maxAttempts: 100,
  backoff: { initialMs: 200, factor: 1, maxMs: 200, jitter: 0 },
} as const;

export interface FaultHostOptions {
  poolMax?: number;
  acquireConnectionTimeout?: number;
  settings?: Partial<PluginOptions>;
  /** Runs inside the handler's transaction before the event is recorded. */
  before?: (event: WebhookEvent, context: HandlerContext) => Promise<void> | void;
  /** Runs inside the handler's transaction after the event is recorded, before it commits. */
  after?: (event: WebhookEvent, context: HandlerContext) => Promise<void> | void;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
  /** Milliseconds until the answer. */
  ms: number;
}

export interface FaultHost {
  host: TestHost;
  /** The plugin's own pool (the host's knex). */
  knex: Knex;
  /** A separate pool for the test's own checks. */
  inspect: Knex;
  /** Handler attempts that found their event already applied: each one would be a double effect. */
  duplicates: string[];
  send(id: string, type?: string): Promise<Answer>;
  /** Sends `payload` as the body (correctly signed), with `id` in X-Webhook-Id. */
  sendBody(id: string, payload: unknown): Promise<Answer>;
  /** Waits (bounded) until every id is recorded by the handler and its outbox row is done. */
  waitApplied(ids: readonly string[], timeoutMs?: number): Promise<void>;
  /** Ids among `ids` that have no outbox row (each one a 202 without a commit). */
  missingRows(ids: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * A host on a fresh database of the private server, with one partner and a handler that records
 * each event in a table with a unique key, inside the handler's transaction: a row there means the
 * event's effect committed, and a second application cannot hide.
 */
export async function startFaultHost(server: PrivateMariadb, options: FaultHostOptions = {}): Promise<FaultHost> {
  const database = `faults_${randomBytes(4).toString('hex')}`;
  await server.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
  const config = knexConfigFromUrl(server.url(database), { poolMax: options.poolMax ?? 10 });
  const knex = knexFactory({ ...config, acquireConnectionTimeout: options.acquireConnectionTimeout ?? 2000, log: QUIET });
  const inspect = knexFactory({ ...knexConfigFromUrl(server.url(database), { poolMax: 2 }), log: QUIET });
  const duplicates: string[] = [];
  let host: TestHost | undefined;
  try {
    await inspect.schema.createTable(APPLIED_TABLE, (t) => {
      t.string('event_id', 191).primary();
      t.integer('attempt').notNullable();
    });
    const { processing, ...settings } = options.settings ?? {};
    host = await startTestHost(knex, { partnerCacheMs: 100, ...settings, processing: { ...FAST_PROCESSING, ...processing } });
    await host.plugin.partners.add({ slug: PARTNER, secret: SECRET });
    host.plugin.on('*', async (event, context) => {
      await options.before?.(event, context);
      const seen = await context.trx(APPLIED_TABLE).where({ event_id: event.id }).first();
      if (seen) duplicates.push(event.id);
      await context.trx(APPLIED_TABLE).insert({ event_id: event.id, attempt: event.attempt });
      await options.after?.(event, context);
    });
    await host.plugin.start();
  } catch (error) {
    await host?.close();
    await knex.destroy();
    await inspect.destroy();
    throw error;
  }
  const ready = host;
  async function sendBody(id: string, payload: unknown): Promise<Answer> {
    const started = performance.now();
    const response = await post(ready.url(PARTNER), signedPost('hmac-sha256', SECRET, payload, { id }));
    return { ...response, ms: performance.now() - started };
  }

  return {
    host: ready,
    knex,
    inspect,
    duplicates,
    send: (id, type = 'fault.test') => sendBody(id, { id, type }),
    sendBody,
    async waitApplied(ids, timeoutMs = 30_000) {
      await waitFor(
        async () => {
          const applied = await inspect(APPLIED_TABLE).whereIn('event_id', ids).count({ n: '*' });
          const done = await inspect('webhook_outbox').whereIn('event_id', ids).andWhere({ status: 'done' }).count({ n: '*' });
          return Number(applied[0]!.n) === ids.length && Number(done[0]!.n) === ids.length ? true : undefined;
        },
        timeoutMs,
        `${ids.length} events applied and done`,
      );
    },
    async missingRows(ids) {
      const rows: Array<{ event_id: string }> = await inspect('webhook_outbox').whereIn('event_id', ids).select('event_id');
      const found = new Set(rows.map((r) => r.event_id));
      return ids.filter((id) => !found.has(id));
    },
    async close() {
      await ready.close();
      await knex.destroy();
      await inspect.destroy();
    },
  };
}
