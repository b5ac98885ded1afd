import { expect } from 'chai';
import { startFaultHost, type FaultHost, PARTNER, SECRET } from './fault-host.js';
import { describeWithPrivateMariadb } from '../helpers/private-mariadb.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const COMMIT_TIMEOUT_MS = 1500;

/**
 * Issue 9 item 4: a database that hangs (SIGSTOP: connections stay open, nothing answers) must not
 * hang the receive path. Refusals that need no database are answered from memory while it is
 * frozen, and a signed event gets 503 once receive.commitTimeoutMs has passed, even though the
 * host's pool would wait a minute for a connection. Every answer below arrives while the server is
 * still stopped, which is the proof that nothing waited for it.
 */
describeWithPrivateMariadb('faults: the database freezes while requests arrive', (server) => {
  let fault: FaultHost | undefined;
  afterEach(async function () {
    this.timeout(60_000);
    server().thaw();
    await fault?.close();
    fault = undefined;
  });

  it('answers 404, 401 and 415 from memory and 503 after the commit deadline, then accepts again after the thaw', async function () {
    this.timeout(90_000);
    fault = await startFaultHost(server(), {
      acquireConnectionTimeout: 60_000,
      settings: { receive: { commitTimeoutMs: COMMIT_TIMEOUT_MS } },
    });
    const f = fault;
    expect((await f.send('before-freeze')).status).to.equal(202);
    await f.waitApplied(['before-freeze']);

    server().freeze();
    let frozen = true;
    try {
      // Past twice the partner cache time (100 ms in fault hosts): every request now wants a check.
      await new Promise((resolve) => setTimeout(resolve, 400));
      const url = f.host.url(PARTNER);
      const started = performance.now();
      const unknown = await post(f.host.url('nobody-here'), signedPost('hmac-sha256', SECRET, { id: 'x1' }));
      const forged = await post(url, signedPost('hmac-sha256', 'not-the-secret-0123456789abcd', { id: 'x2', type: 't' }));
      const wrongType = await post(url, { ...signedPost('hmac-sha256', SECRET, { id: 'x3' }), headers: { 'content-type': 'text/plain' } });
      const refusalsMs = performance.now() - started;
      expect([unknown.status, forged.status, wrongType.status]).to.deep.equal([404, 401, 415]);

      const signed = await Promise.all(['during-1', 'during-2', 'during-3'].map((id) => f.send(id)));
      for (const answer of signed) {
        expect(answer.status).to.equal(503);
        expect(answer.body.error).to.equal('store_unavailable');
        expect(answer.headers.get('retry-after')).to.match(/^\d+$/);
      }
      console.log(`      while frozen: three refusals in ${refusalsMs.toFixed(0)} ms, signed events 503 after ${Math.max(...signed.map((a) => a.ms)).toFixed(0)} ms`);
      expect(server().running).to.equal(true);
    } finally {
      server().thaw();
      frozen = false;
    }
    expect(frozen).to.equal(false);

    // After the thaw the stuck work completes; new events are accepted and nothing acknowledged is lost.
    const after = await waitFor(async () => {
      const answer = await f.send('after-thaw');
      return answer.status === 202 || answer.status === 200 ? answer : undefined;
    }, 30_000, 'an event accepted after the thaw');
    expect(after.body.id).to.equal('after-thaw');
    await f.waitApplied(['before-freeze', 'after-thaw']);
    expect(await f.missingRows(['before-freeze', 'after-thaw'])).to.deep.equal([]);
    expect(f.duplicates).to.deep.equal([]);
  });
});
