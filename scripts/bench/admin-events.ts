import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import mount from 'koa-mount';
import knexFactory from 'knex';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { knexConfigFromUrl } from '../../plugin/store/connect.js';

/**
 * `node dist/scripts/bench/admin-events.js [rows]`: the admin page's events table on a MariaDB
 * outbox of 1,000,000 rows (default). Creates a scratch database beside the one in
 * BENCH_MYSQL_URL (or WEBHOOKS_TEST_MYSQL_URL), seeds it with one INSERT ... SELECT from MariaDB's
 * seq_1_to_N sequence table, then times each kind of page through HTTP, as the page asks for it.
 * Target (issue 13): every page under 200 ms.
 */
const ROWS = Number(process.argv[2] ?? 1_000_000);
const REPEAT = 20;
const TARGET_MS = 200;
const PARTNERS = ['acme', 'beta', 'gamma', 'delta', 'omega'];

async function main(): Promise<void> {
  const baseUrl = process.env.BENCH_MYSQL_URL ?? process.env.WEBHOOKS_TEST_MYSQL_URL;
  if (!baseUrl) throw new Error('set BENCH_MYSQL_URL (or WEBHOOKS_TEST_MYSQL_URL) to a MariaDB database, e.g. mysql://root@127.0.0.1:3306/crmwh');
  const base = new URL(baseUrl);
  const name = `${base.pathname.slice(1) || 'crmwh'}_adminbench_${randomBytes(3).toString('hex')}`;
  const admin = knexFactory(knexConfigFromUrl(base.toString(), { poolMax: 1 }));
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const knex = knexFactory(knexConfigFromUrl(url.toString(), { poolMax: 4 }));
  try {
    const plugin = createWebhooksPlugin({ knex, authorize: () => true, logger: silentLogger() });
    await plugin.migrate();
    const seeded = Date.now();
    // Five partners, five types, 1 % dead, ~0.1 % pending, one row a second back from now.
    await knex.raw(`
      INSERT INTO webhook_outbox (partner, event_id, event_type, payload, headers, status, attempts, next_attempt_at, last_error, received_at, processed_at)
      SELECT ELT(1 + seq % 5, ${PARTNERS.map(() => '?').join(', ')}), CONCAT('evt_', seq), CONCAT('kind.', seq % 5), CONCAT('{"id":"evt_', seq, '"}'), '{}',
        CASE WHEN seq % 100 = 7 THEN 'dead' WHEN seq % 1000 = 3 THEN 'pending' ELSE 'done' END,
        CASE WHEN seq % 100 = 7 THEN 10 ELSE 1 END,
        UTC_TIMESTAMP(3) - INTERVAL (? - seq) SECOND,
        CASE WHEN seq % 100 = 7 THEN 'handler failed' ELSE NULL END,
        UTC_TIMESTAMP(3) - INTERVAL (? - seq) SECOND,
        CASE WHEN seq % 1000 = 3 THEN NULL ELSE UTC_TIMESTAMP(3) - INTERVAL (? - seq) SECOND END
      FROM seq_1_to_${ROWS}`, [...PARTNERS, ROWS, ROWS, ROWS]);
    // Each event's dedupe row, as ingest writes it (same received_at): the event-id search finds done events through it.
    await knex.raw('INSERT INTO webhook_dedupe (partner, event_id, received_at) SELECT partner, event_id, received_at FROM webhook_outbox');
    console.log(`seeded ${ROWS.toLocaleString()} outbox rows in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
    await knex.raw('ANALYZE TABLE webhook_outbox');

    const app = new Koa();
    app.use(mount('/plugins/webhooks', plugin.app));
    const server = createServer(app.callback()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/plugins/webhooks/_admin`;
    const get = async (path: string) => {
      const started = performance.now();
      const response = await fetch(`${api}${path}`);
      const body = (await response.json()) as { next?: number | null; rows?: unknown[] };
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - started, body };
    };
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
    const middle = Math.floor(ROWS / 2);
    const pages: Array<[string, string]> = [
      ['first page, no filter', '/outbox?limit=50'],
      ['page in the middle (keyset)', `/outbox?limit=50&before=${middle}`],
      ['status=dead', '/outbox?limit=50&status=dead'],
      ['status=dead, deep page', `/outbox?limit=50&status=dead&before=${middle}`],
      ['status=pending', '/outbox?limit=50&status=pending'],
      ['partner', '/outbox?limit=50&partner=gamma'],
      ['partner + status=dead', '/outbox?limit=50&partner=gamma&status=dead'],
      ['type', '/outbox?limit=50&type=kind.3'],
      ['event id', `/outbox?limit=50&eventId=evt_${middle}`],
      ['time range (last hour)', `/outbox?limit=50&from=${hourAgo}`],
      ['time range (a day ago, one hour)', `/outbox?limit=50&from=${dayAgo}&to=${new Date(Date.parse(dayAgo) + 3600_000).toISOString()}`],
      ['count dead of a partner (replay dialog)', '/outbox/count?status=dead&partner=gamma'],
    ];
    const results: Array<{ page: string; medianMs: number; maxMs: number; ok: boolean }> = [];
    for (const [label, path] of pages) {
      await get(path); // warm-up: the first read of an index pays for the buffer pool
      const times: number[] = [];
      for (let i = 0; i < REPEAT; i += 1) times.push((await get(path)).ms);
      times.sort((a, b) => a - b);
      const row = { page: label, medianMs: round(times[Math.floor(times.length / 2)]!), maxMs: round(times.at(-1)!), ok: times.at(-1)! < TARGET_MS };
      results.push(row);
      console.log(`${row.ok ? 'ok  ' : 'SLOW'} ${label.padEnd(42)} median ${String(row.medianMs).padStart(6)} ms   max ${String(row.maxMs).padStart(6)} ms`);
    }
    server.close();
    server.closeAllConnections();
    console.log(JSON.stringify({ rows: ROWS, repeat: REPEAT, targetMs: TARGET_MS, results }));
    if (results.some((r) => !r.ok)) process.exitCode = 1;
  } finally {
    await knex.destroy();
    await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.destroy();
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function silentLogger() {
  const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
  return logger;
}

main().catch((error: unknown) => {
  console.error(`admin-events bench: ${(error as Error).message}`);
  process.exit(1);
});
