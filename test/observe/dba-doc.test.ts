import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../scripts/build-manifest.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { waitFor } from '../helpers/requests.js';
import { seedOutboxRow } from './support.js';

/** Every ```sql block of docs/dba.md, in order. */
function sqlBlocks(): string[] {
  const text = readFileSync(join(packageRoot(), 'docs', 'dba.md'), 'utf8');
  return [...text.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
}

describe('docs/dba.md', () => {
  it('holds read-only queries and one replay UPDATE guarded by status = dead', () => {
    const blocks = sqlBlocks();
    const updates = blocks.filter((sql) => /^UPDATE/i.test(sql));
    expect(blocks.length).to.be.at.least(5);
    expect(updates).to.have.length(1);
    expect(updates[0]).to.match(/WHERE status = 'dead'/);
    expect(updates[0]).to.match(/next_attempt_at = UTC_TIMESTAMP\(3\)/);
    for (const sql of blocks.filter((b) => !/^UPDATE/i.test(b))) expect(sql).to.match(/^SELECT/i);
  });
});

// The queries are written for MySQL/MariaDB, so they run only where the suite has one.
if (databaseKinds().includes('mysql')) {
  describe('docs/dba.md on MySQL/MariaDB', () => {
    let database: TestDatabase;
    let host: TestHost;
    const handled: string[] = [];

    before(async function () {
      this.timeout(30_000);
      database = await createTestDatabase('mysql');
      host = await startTestHost(database.knex, { processing: { pollIntervalMs: 20, maxPollIntervalMs: 100 } });
      host.plugin.on('*', (event) => {
        handled.push(event.id);
      });
      const { knex } = database;
      await seedOutboxRow(knex, { partner: 'acme', eventId: 'dba-dead-1', status: 'dead', attempts: 10, dedupe: true });
      await seedOutboxRow(knex, { partner: 'acme', eventId: 'dba-dead-2', status: 'dead', attempts: 10, dedupe: true });
      await seedOutboxRow(knex, { partner: 'beta', eventId: 'dba-dead-3', status: 'dead', attempts: 10, dedupe: true });
      await seedOutboxRow(knex, { partner: 'acme', eventId: 'dba-pending', status: 'pending', ageMs: 120_000, dueInMs: 3_600_000 });
      await seedOutboxRow(knex, { partner: 'beta', eventId: 'dba-processing', status: 'processing' });
      await seedOutboxRow(knex, { partner: 'acme', eventId: 'dba-done', status: 'done', ageMs: 60_000, dedupe: true });
      await host.plugin.start();
    });
    after(async () => {
      await host?.close();
      await database?.destroy();
    });

    it('runs every read-only query', async () => {
      const results = [];
      for (const sql of sqlBlocks().filter((b) => !/^UPDATE/i.test(b))) {
        const [rows] = (await database.knex.raw(sql)) as [Array<Record<string, unknown>>];
        results.push(rows);
      }
      const [backlog, dead, throughput, oldest] = results;
      expect(backlog!.map((r) => `${r.partner}:${r.status}:${r.events}`)).to.have.members(['acme:pending:1', 'beta:processing:1']);
      expect(dead!.map((r) => r.event_id)).to.have.members(['dba-dead-1', 'dba-dead-2', 'dba-dead-3']);
      expect(dead![0]).to.have.property('last_error', 'seeded failure');
      expect(throughput!.reduce((sum, r) => sum + Number(r.received), 0)).to.equal(6);
      expect(oldest!.map((r) => r.event_id)).to.deep.equal(['dba-pending']);
      expect(Number(oldest![0]!.overdue_seconds)).to.equal(0);
      const byEventId = sqlBlocks().find((b) => b.includes('AS p'));
      for (const [eventId, partner, status] of [['dba-dead-3', 'beta', 'dead'], ['dba-done', 'acme', 'done']] as const) {
        const [found] = (await database.knex.raw(byEventId!.replace("'evt_123'", `'${eventId}'`))) as [Array<Record<string, unknown>>];
        expect(found.map((r) => [r.partner, r.status]), eventId).to.deep.equal([[partner, status]]);
      }
    });

    it('replays dead rows by hand while the plugin runs, each processed once', async () => {
      const [replay] = sqlBlocks().filter((b) => /^UPDATE/i.test(b));
      const [result] = (await database.knex.raw(replay!)) as [{ affectedRows: number }];
      expect(result.affectedRows).to.equal(2);
      await waitFor(() => (handled.length >= 2 ? true : undefined), 10_000, 'the replayed events to be processed');
      const [again] = (await database.knex.raw(replay!)) as [{ affectedRows: number }];
      expect(again.affectedRows).to.equal(0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(handled.sort()).to.deep.equal(['dba-dead-1', 'dba-dead-2']);
      const rows = await database.knex('webhook_outbox').select('event_id', 'status').whereIn('event_id', ['dba-dead-1', 'dba-dead-2', 'dba-dead-3']).orderBy('event_id');
      expect(rows.map((r: { status: string }) => r.status)).to.deep.equal(['done', 'done', 'dead']);
    });
  });
}
