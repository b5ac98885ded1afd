import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';

const SECRET = 'logging-secret-0123456789abcdef';
const BODY_MARKER = 'body-marker-7d1f3c';

describeEachDatabase('structured logging', (db) => {
  const hosts: TestHost[] = [];
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.close()));
  });

  async function hostWith(logBodies: boolean, slug: string): Promise<TestHost> {
    const host = await startTestHost(db().knex, { logBodies, processing: { maxAttempts: 1, pollIntervalMs: 20, maxPollIntervalMs: 100 } });
    hosts.push(host);
    await host.plugin.partners.add({ slug, secret: SECRET });
    await host.plugin.start();
    host.plugin.on('explode', () => {
      throw new Error('handler exploded');
    });
    return host;
  }

  it('logs one line per refused request with partner and reason, never the signature or body', async () => {
    const host = await hostWith(false, 'log-refused');
    const forged = signedPost('hmac-sha256', 'not-the-secret-0123456789abcd', { id: 'refused-1', marker: BODY_MARKER });
    expect((await post(host.url('log-refused'), forged)).status).to.equal(401);
    const lines = host.logger.lines.filter((l) => l.msg === 'webhook request refused');
    expect(lines).to.have.length(1);
    expect(lines[0]!.level).to.equal('warn');
    expect(lines[0]!.fields).to.include({ partner: 'log-refused', reason: 'signature_invalid', status: 401 });
    const logged = JSON.stringify(host.logger.lines);
    expect(logged).not.to.include(forged.headers['x-webhook-signature']!);
    expect(logged).not.to.include(BODY_MARKER);
    expect(logged).not.to.include(SECRET);
  });

  it('logs one line per failed attempt with partner, event id and reason, and the body only with logBodies', async () => {
    for (const logBodies of [false, true]) {
      const slug = `log-failed-${logBodies}`;
      const host = await hostWith(logBodies, slug);
      const eventId = `failing-${logBodies}`;
      expect((await post(host.url(slug), signedPost('hmac-sha256', SECRET, { id: eventId, type: 'explode', marker: BODY_MARKER }))).status).to.equal(202);
      const failed = await waitFor(() => {
        const found = host.logger.lines.filter((l) => l.fields.eventId === eventId && l.level === 'warn');
        return found.length > 0 ? found : undefined;
      }, 5000, 'the failed attempt to be logged');
      expect(failed).to.have.length(1);
      expect(failed[0]!.fields).to.include({ partner: slug, eventId, outcome: 'dead' });
      expect((failed[0]!.fields.err as Error).message).to.equal('handler exploded');
      expect(JSON.stringify(host.logger.lines).includes(BODY_MARKER), `logBodies ${logBodies}`).to.equal(logBodies);
      expect(JSON.stringify(host.logger.lines)).not.to.include(SECRET);
    }
  });
});
