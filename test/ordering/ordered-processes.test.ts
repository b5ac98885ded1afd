import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { spawnChildHost, type ChildHost } from '../helpers/child-host.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logger.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/ordered-process.js', import.meta.url));
const PARTNER = 'records';
const SECRET = 'records-secret-0123456789abcdef';
// The figures on MySQL/MariaDB. SQLite (one process, one writer) gets a smaller set so the
// suite stays minutes, not tens of minutes, on a small machine.
const SIZES = { mysql: { records: 200, versions: 50 }, sqlite: { records: 40, versions: 25 } } as const;
const SENDERS = 8;
const CHILD_ENV = { CONCURRENCY: '4', BATCH_SIZE: '20', MEMORY_QUEUE_LIMIT: '64', HANDLER_DELAY_MS: '1', CLAIM_MS: '3000', HANDLER_TIMEOUT_MS: '2000' };

interface RecordEvent {
  id: string;
  record: string;
  version: number;
}

/** Versions 1..50 of 200 records in one shuffled list (a fixed seed, so a failure can be replayed). */
function shuffledEvents(size: { records: number; versions: number }): RecordEvent[] {
  const events: RecordEvent[] = [];
  for (let r = 0; r < size.records; r += 1) {
    for (let v = 1; v <= size.versions; v += 1) events.push({ id: `rec${r}_v${v}`, record: `rec${r}`, version: v });
  }
  let seed = 12;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = events.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  return events;
}

async function prepare(knex: Knex): Promise<void> {
  const plugin = createWebhooksPlugin({ knex, logger: recordingLogger() });
  await plugin.migrate();
  await knex.schema.createTable('test_order_applied', (t) => {
    t.increments('id');
    t.string('record', 64).notNullable();
    t.integer('version').notNullable();
    t.string('event_id', 191).notNullable();
    t.integer('pid').notNullable();
    t.double('started_ms').notNullable();
    t.double('finished_ms').notNullable();
  });
  await knex.schema.createTable('test_order_records', (t) => {
    t.string('record', 64).primary();
    t.integer('version').notNullable();
  });
  await plugin.partners.add({ slug: PARTNER, secret: SECRET, settings: { orderKeyFrom: 'body:data.record', versionFrom: 'body:data.version' } });
}

/**
 * Sends every event from `SENDERS` concurrent senders, as a partner would: an event not answered 2xx
 * (its process was killed, or is restarting) is sent again, to the next process. `midway` runs once,
 * when half the events are acknowledged.
 */
async function sendAll(events: readonly RecordEvent[], urlFor: (attempt: number) => string | null, midway?: () => Promise<void>): Promise<void> {
  let next = 0;
  let acknowledged = 0;
  let midwayRun: Promise<void> | undefined;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < events.length) {
        const event = events[next++]!;
        const request = signedPost('hmac-sha256', SECRET, { id: event.id, type: 'record.updated', data: { record: event.record, version: event.version } });
        for (let attempt = 0; ; attempt += 1) {
          if (attempt > 400) throw new Error(`event ${event.id} was never acknowledged`);
          const url = urlFor(next + attempt);
          const status = url ? await post(url, request).then((r) => r.status, () => 0) : 0;
          if (status === 200 || status === 202) break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        acknowledged += 1;
        if (midway && acknowledged >= events.length / 2) midwayRun ??= midway();
      }
    }),
  );
  await midwayRun;
}

/** The end state: no overlap per record, increasing versions, every record at 50, each event applied once or skipped as stale. */
async function expectOrderedEndState(knex: Knex, events: readonly RecordEvent[], size: { records: number; versions: number }): Promise<Set<number>> {
  await waitFor(async () => {
    const [{ n }] = await knex('webhook_outbox').whereNot('status', 'done').count({ n: '*' });
    const [{ total }] = await knex('webhook_outbox').count({ total: '*' });
    return Number(n) === 0 && Number(total) === events.length ? true : undefined;
  }, 480_000, 'every event to be done');

  const applied: Array<{ record: string; version: number; event_id: string; pid: number; started_ms: number; finished_ms: number }> = await knex(
    'test_order_applied',
  ).select('record', 'version', 'event_id', 'pid', 'started_ms', 'finished_ms');
  const byRecord = new Map<string, typeof applied>();
  for (const row of applied) byRecord.set(row.record, [...(byRecord.get(row.record) ?? []), row]);
  for (const [record, rows] of byRecord) {
    rows.sort((a, b) => Number(a.started_ms) - Number(b.started_ms));
    for (let i = 1; i < rows.length; i += 1) {
      const [before, after] = [rows[i - 1]!, rows[i]!];
      expect(Number(after.started_ms), `${record}: v${after.version} started before v${before.version} finished`).to.be.at.least(Number(before.finished_ms));
      expect(after.version, `${record}: applied out of order`).to.be.greaterThan(before.version);
    }
  }
  const finals: Array<{ record: string; version: number }> = await knex('test_order_records').select('record', 'version');
  expect(finals).to.have.length(size.records);
  expect(finals.filter((r) => Number(r.version) !== size.versions), 'records not at their last version').to.deep.equal([]);

  const stale = new Set((await knex('webhook_outbox').where({ skipped_reason: 'stale' }).select('event_id')).map((r: { event_id: string }) => r.event_id));
  const appliedCount = new Map<string, number>();
  for (const row of applied) appliedCount.set(row.event_id, (appliedCount.get(row.event_id) ?? 0) + 1);
  const wrong = events.filter((e) => (appliedCount.get(e.id) ?? 0) + (stale.has(e.id) ? 1 : 0) !== 1).map((e) => e.id);
  expect(wrong, 'events neither applied exactly once nor recorded as stale').to.deep.equal([]);
  expect(stale.size, 'shuffled delivery makes some events stale').to.be.greaterThan(0);
  return new Set(applied.map((r) => r.pid));
}

for (const kind of databaseKinds()) {
  // Several CRM processes share a MySQL/MariaDB database; SQLite is one host's file, so it gets one process.
  const processes = kind === 'mysql' ? 3 : 1;
  const size = SIZES[kind];

  describe(`versions 1..${size.versions} of ${size.records} records from ${SENDERS} senders into ${processes} process(es) [${kind}]`, () => {
    let db: TestDatabase;
    let children: Array<ChildHost | null> = [];
    const live = (attempt: number) => {
      const up = children.filter((c): c is ChildHost => c !== null);
      return up.length === 0 ? null : up[attempt % up.length]!.url(PARTNER);
    };

    beforeEach(async function () {
      this.timeout(60_000);
      db = await createTestDatabase(kind);
      await prepare(db.knex);
      children = [];
      for (let i = 0; i < processes; i += 1) children.push(await spawnChildHost(db.url, CHILD_ENV, FIXTURE));
    });
    afterEach(async function () {
      this.timeout(30_000);
      await Promise.all(children.map((c) => c?.kill()));
      await db?.destroy();
    });

    it('runs each record\'s handlers one at a time in version order, ends every record at its last version, and applies each event once or records it stale', async function () {
      this.timeout(600_000);
      const events = shuffledEvents(size);
      await sendAll(events, live);
      const pids = await expectOrderedEndState(db.knex, events, size);
      expect(pids.size, 'every process applied some events').to.equal(processes);
    });

    it('reaches the same end state, applying nothing twice, when a process is SIGKILLed midway and restarted', async function () {
      this.timeout(600_000);
      const events = shuffledEvents(size);
      await sendAll(events, live, async () => {
        const victim = children[0]!;
        children[0] = null;
        await victim.kill();
        children[0] = await spawnChildHost(db.url, CHILD_ENV, FIXTURE);
      });
      await expectOrderedEndState(db.knex, events, size);
    });
  });
}
