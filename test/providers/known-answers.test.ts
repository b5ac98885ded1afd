import { expect } from 'chai';
import { getAnswer } from '../../plugin/providers/answers.js';
import { findPreset, PRESET_NAMES } from '../../plugin/providers/presets.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post } from '../helpers/requests.js';
import { flipBodyByte, KNOWN_ANSWERS } from './known-answers.js';

describe('provider known answers: coverage', () => {
  it('has a published or documented example for every preset, and no example for an unknown one', () => {
    expect([...new Set(KNOWN_ANSWERS.map((k) => k.preset))]).to.have.members([...PRESET_NAMES]);
  });

  it('names what each accepted example should be found as', () => {
    for (const example of KNOWN_ANSWERS) {
      expect(example.outcome === 'invalid_json' || typeof example.id === 'string', example.source).to.equal(true);
    }
  });
});

/**
 * Each preset's example sent through the plugin's HTTP app: the original gets past the signature
 * check (202, with the id the preset should find; or, for a published example whose body is not
 * JSON, 400 invalid_json, which is decided only after the signature passed), and the same request
 * with one signed byte changed is refused with 401.
 */
describeEachDatabase('provider known answers over HTTP', (db) => {
  let host: TestHost;
  let nowMs = 0;
  before(async () => {
    host = await startTestHost(db().knex, { clock: { now: () => nowMs } });
  });
  after(async () => {
    await host?.close();
  });

  KNOWN_ANSWERS.forEach((example, index) => {
    describe(`${example.preset} (${example.source})`, () => {
      const slug = `kat${index}-${example.preset}`;
      before(async () => {
        nowMs = example.nowMs;
        await host.plugin.partners.add({ slug, preset: example.preset, secret: example.secret, settings: example.settings ?? {} });
      });
      beforeEach(() => {
        nowMs = example.nowMs;
      });

      if (example.outcome === 'invalid_json') {
        it('lets the example past the signature check; its body, not JSON, is then refused (400)', async () => {
          const response = await post(host.url(slug), { body: example.body, headers: { 'content-type': example.contentType, ...example.headers } });
          expect(response.body.error).to.equal('invalid_json');
          expect(response.status).to.equal(400);
        });
      } else {
        it('accepts the example and finds its event id', async () => {
          const response = await post(host.url(slug), { body: example.body, headers: { 'content-type': example.contentType, ...example.headers } });
          const answer = findPreset(example.preset)!.answer;
          if (answer) {
            // The provider's own success document, not the contract's JSON (Salesforce's Ack, TwiML).
            expect(response.body).to.deep.equal({ raw: getAnswer(answer).body });
            expect(response.headers.get('content-type')).to.match(/^text\/xml/);
            expect(response.status).to.equal(200);
          } else {
            // Batched presets add their counts: the example is a batch of one.
            expect(response.body).to.deep.include({ status: 'accepted', id: example.id });
            expect(response.status).to.equal(202);
          }
          const row = await db().knex('webhook_outbox').where({ partner: slug, event_id: example.id }).first();
          expect(row?.event_id).to.equal(example.id);
        });
      }

      it('refuses the example with one signed byte changed (401)', async () => {
        const changed = (example.tamper ?? ((r) => flipBodyByte(r)))({ headers: example.headers, body: example.body });
        expect(changed.body).to.not.equal(example.body);
        const response = await post(host.url(slug), { body: changed.body, headers: { 'content-type': example.contentType, ...changed.headers } });
        expect(response.status).to.equal(401);
      });
    });
  });
});
