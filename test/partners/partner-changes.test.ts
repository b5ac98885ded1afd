import { expect } from 'chai';
import type { Knex } from 'knex';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { recordingLogger } from '../helpers/logger.js';
import { post, signedPost } from '../helpers/requests.js';
import { manualClock } from '../hostile/manual-clock.js';

const SECRET = 'changes-secret-0123456789abcdef';
const CACHE_MS = 400;

/**
 * Issue 16 item 8: under traffic a host re-read the whole partners table 2.5 times a second. It now
 * reads a change marker and reloads the table only when the marker moved, and a change made by
 * another process still reaches it within a second (CONTRACT.md).
 */
describeEachDatabase('partner changes reaching a running host', (db) => {
  let host: TestHost;
  let other: Knex;
  const clock = manualClock();
  const statements: string[] = [];
  const record = (query: { sql: string }) => statements.push(query.sql);

  before(async () => {
    host = await startTestHost(db().knex, { clock, partnerCacheMs: CACHE_MS });
    await host.plugin.partners.add({ slug: 'acme', secret: SECRET });
    other = db().open({ poolMax: 1 });
    db().knex.on('query', record);
  });
  after(async () => {
    db().knex.off('query', record);
    await other?.destroy();
    await host?.close();
  });

  const fullReads = () => statements.filter((sql) => /from [`"]webhook_partners[`"]/i.test(sql) && /select \*/i.test(sql)).length;
  const send = (id: string) => post(host.url('acme'), signedPost('hmac-sha256', SECRET, { id, type: 't' }));

  it('reads only the change marker while nothing changes, and sees another process\'s change within a second', async () => {
    expect((await send('warm-up')).status).to.equal(202);
    statements.length = 0;
    for (let i = 0; i < 10; i += 1) {
      clock.advance(1000); // each request past twice the cache time: each one checks
      expect((await send(`steady-${i}`)).status).to.equal(202);
    }
    const markerReads = statements.filter((sql) => /sum\(revision\)/i.test(sql)).length;
    expect(markerReads).to.be.at.least(10);
    expect(fullReads()).to.equal(0);

    // Another process (its own pool, its own plugin instance) disables the partner.
    const cli = createWebhooksPlugin({ knex: other, logger: recordingLogger() });
    await cli.partners.setEnabled('acme', false);
    clock.advance(1000);
    const refused = await send('after-disable');
    expect(refused.status).to.equal(403);
    expect(fullReads()).to.equal(1);
  });
});
