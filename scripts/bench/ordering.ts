/**
 * Issue 12's figures: how fast a backlog drains for an unordered partner, for an ordered partner
 * with many distinct keys, and for one with a few hot keys. Standalone (the main bench measures
 * HTTP ingest): events are written straight into the outbox, a plugin with a no-op handler starts,
 * and the time until every row is done is measured.
 *
 *   BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/crmwh_bench node dist/scripts/bench/ordering.js
 *
 * A MySQL URL names a database to create beside (`<name>_ordbench_<random>`, dropped at the end);
 * `sqlite:` runs on a temporary file. EVENTS (default 10000) events per scenario.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { knexConfigFromUrl } from '../../plugin/store/connect.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { insertEvents, type InboundEvent } from '../../plugin/store/outbox-insert.js';
import type { Logger } from '../../plugin/types.js';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

interface Scenario {
  name: string;
  /** Order key of event i, or null for unordered. */
  keyOf(i: number): string | null;
  events: number;
}

async function openDatabase(url: string): Promise<{ knex: Knex; drop(): Promise<void> }> {
  if (url.startsWith('sqlite:')) {
    const dir = mkdtempSync(join(tmpdir(), 'crm-webhooks-ordbench-'));
    const knex = knexFactory(knexConfigFromUrl(`sqlite:${join(dir, 'bench.sqlite')}`));
    return { knex, drop: async () => (await knex.destroy(), rmSync(dir, { recursive: true, force: true })) };
  }
  const base = new URL(url);
  const name = `${base.pathname.replace(/^\//, '') || 'crmwh'}_ordbench_${randomBytes(3).toString('hex')}`;
  const admin = knexFactory(knexConfigFromUrl(base.toString(), { poolMax: 1 }));
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  const own = new URL(base.toString());
  own.pathname = `/${name}`;
  const knex = knexFactory(knexConfigFromUrl(own.toString()));
  return {
    knex,
    async drop() {
      await knex.destroy();
      await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.destroy();
    },
  };
}

async function fill(knex: Knex, scenario: Scenario): Promise<void> {
  const dialect = dialectOf(knex);
  const versions = new Map<string, number>();
  for (let start = 0; start < scenario.events; start += 500) {
    const chunk: InboundEvent[] = [];
    for (let i = start; i < Math.min(scenario.events, start + 500); i += 1) {
      const key = scenario.keyOf(i);
      const version = key === null ? 0 : (versions.get(key) ?? 0) + 1;
      if (key !== null) versions.set(key, version);
      chunk.push({
        partner: 'bench',
        eventId: `${scenario.name}_${i}`,
        eventType: 'record.updated',
        payload: JSON.stringify({ id: i, data: { key, version } }),
        headers: '{}',
        bodySha256: null,
        order: key === null ? null : { key, version, onDead: 'continue' },
      });
    }
    await knex.transaction((trx) => insertEvents(trx, dialect, chunk, Date.now()));
  }
}

async function drain(knex: Knex, scenario: Scenario): Promise<number> {
  await knex('webhook_outbox').delete();
  await knex('webhook_dedupe').delete();
  await knex('webhook_order_marks').delete();
  await fill(knex, scenario);
  const plugin = createWebhooksPlugin({ knex, logger: silent });
  plugin.on('*', () => undefined);
  const started = performance.now();
  await plugin.start();
  for (;;) {
    const row = await knex('webhook_outbox').where('status', 'done').count({ n: '*' }).first();
    if (Number(row?.n ?? 0) >= scenario.events) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  await plugin.stop();
  return scenario.events / seconds;
}

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL ?? 'sqlite:';
  const events = Number(process.env.EVENTS ?? 10_000);
  const { knex, drop } = await openDatabase(url);
  try {
    await createWebhooksPlugin({ knex, logger: silent }).migrate();
    const scenarios: Scenario[] = [
      { name: 'unordered', keyOf: () => null, events },
      { name: 'ordered, 10,000 distinct keys', keyOf: (i) => `k${i % 10_000}`, events },
      { name: 'ordered, 10 hot keys', keyOf: (i) => `k${i % 10}`, events },
    ];
    console.log(`database: ${url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}, ${events} events per scenario, default processing settings`);
    for (const scenario of scenarios) {
      const rate = await drain(knex, scenario);
      console.log(`${scenario.name.padEnd(32)} ${Math.round(rate).toLocaleString('en-US').padStart(7)} events/s drained`);
    }
  } finally {
    await drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
