import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { eventRequest, goodEvent, type CorpusContext } from './corpus.js';
import { generateCorpus } from './generate.js';
import { garbageCollector, mib, settledHeapUsed } from './memory.js';
import { addCorpusPartners } from './partners.js';
import { runCorpus, statusCounts } from './run-corpus.js';
import { silentLogger } from './silent-logger.js';
import { sendRaw } from './raw-http.js';

const MOUNT = '/plugins/webhooks';
/** Rounds after the warm-up one; each sends the whole corpus again with fresh event ids. */
const MEASURED_ROUNDS = 3;
/**
 * Heap growth allowed over the measured rounds, after full GCs: about 1 KiB per request sent. A
 * retained body (413s are 1 MiB each), a per-slug cache entry or a per-request closure would
 * exceed it many times over; V8's own caches and the test's bookkeeping stay well under it.
 */
const HEAP_GROWTH_BOUND = 2 * 1024 * 1024;

describeEachDatabase('hostile corpus', (db) => {
  let host: TestHost;
  let context: CorpusContext;
  let port: number;
  /** Part of every event id, so each round's events are new to the dedupe table. */
  let round = 0;
  // Node's hint of a listener added per event and never removed: a leak of a few hundred bytes per
  // event that the heap check would need far more rounds to see.
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);

  before(async function () {
    process.on('warning', onWarning);
    host = await startTestHost(db().knex, { logger: silentLogger() });
    port = (host.server.address() as AddressInfo).port;
    const { partners, disabled } = await addCorpusPartners(host.plugin);
    // Accepted events run through a handler, so the processing side is part of the memory check.
    host.plugin.on('*', () => undefined);
    // start() loads the partners now, instead of within the directory's refresh window.
    await host.plugin.start();
    let n = 0;
    context = {
      mount: MOUNT,
      partners,
      disabled,
      bodyLimitBytes: 1024 * 1024,
      maxHeaderCount: 100,
      maxJsonDepth: 64,
      uid: () => `hx${round}-${(n += 1)}`,
    };
  });
  after(async () => {
    process.off('warning', onWarning);
    await host?.close();
  });

  it('answers every one of 500+ bad requests with its contract status, no 5xx and no leak, within a memory bound', async function () {
    this.timeout(120_000);
    const gc = garbageCollector();
    const accepted: string[] = [];
    const statuses: Record<string, number> = {};
    const heap: number[] = [];
    let perRound = 0;
    let bad = 0;
    let families = 0;
    for (round = 0; round <= MEASURED_ROUNDS; round += 1) {
      const cases = generateCorpus(context);
      const outcomes = await runCorpus(port, cases);
      const failed = outcomes.filter((o) => o.problems.length > 0);
      if (failed.length > 0) {
        const lines = failed.slice(0, 40).map((o) => `  [${o.hostile.family}] ${o.hostile.name}: ${o.problems.join('; ')}`);
        expect.fail(`${failed.length} of ${outcomes.length} hostile requests were answered wrongly (round ${round}):\n${lines.join('\n')}`);
      }
      // Keep only counts and ids: holding the cases (1 MiB bodies, 3,000-header requests) would
      // measure the test's own memory.
      accepted.push(...cases.flatMap((c) => (c.expect.id === undefined ? [] : [c.expect.id])));
      for (const [status, n] of Object.entries(statusCounts(outcomes))) statuses[status] = (statuses[status] ?? 0) + n;
      perRound = cases.length;
      bad = cases.filter((c) => c.expect.status !== 202).length;
      families = new Set(cases.map((c) => c.family)).size;
      heap.push(await settledHeapUsed(gc));
    }

    // Still up and still working: a well-formed event after the onslaught is accepted.
    const hmac = context.partners['hmac-sha256'];
    const last = goodEvent(context, hmac);
    const final = await sendRaw(port, eventRequest(context, hmac, last));
    expect(final.status, final.body).to.equal(202);
    accepted.push(last.id);

    // Nothing rejected left a row: the outbox holds exactly the accepted events.
    const rows: Array<{ event_id: string }> = await db().knex('webhook_outbox').select('event_id');
    expect(rows.map((r) => r.event_id).sort()).to.deep.equal([...accepted].sort());
    expect(await db().knex('webhook_dedupe').count({ n: '*' }).then((r) => Number(r[0]!.n))).to.equal(accepted.length);

    const growth = heap[heap.length - 1]! - heap[0]!;
    console.log(
      [
        `      hostile corpus [${db().kind}]: ${perRound} requests per round (${bad} bad, ${perRound - bad} well-formed edge cases) in ${families} families, ${MEASURED_ROUNDS + 1} rounds, ${perRound * (MEASURED_ROUNDS + 1)} requests in all`,
        `      statuses seen: ${JSON.stringify(statuses)}`,
        `      heap after each round (after GC): ${heap.map(mib).join(', ')}; growth over ${MEASURED_ROUNDS} measured rounds ${mib(growth)} (bound ${mib(HEAP_GROWTH_BOUND)})`,
        `      rss ${mib(process.memoryUsage().rss)}`,
      ].join('\n'),
    );
    expect(bad).to.be.at.least(500);
    expect(growth, 'heap growth over the measured rounds').to.be.below(HEAP_GROWTH_BOUND);
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).to.deep.equal([]);
  });
});
