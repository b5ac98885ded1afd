import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { PRESET_NAMES } from '../../plugin/providers/presets.js';
import { createSpecScheme } from '../../plugin/signatures/spec-scheme.js';
import { parseSignatureSpec } from '../../plugin/signatures/signature-spec.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post } from '../helpers/requests.js';
import { oneLineReason, parseJson, runCli } from './run-cli.js';

interface PartnerJson {
  slug: string;
  scheme: string;
  settings: Record<string, unknown>;
}

const SPEC = {
  signature: { from: 'header:x-acme-signature', prefix: 'v1=', prefixRequired: true },
  algorithm: 'hmac-sha512',
  encoding: 'base64',
  content: ['timestamp', { literal: '.' }, 'body'],
  timestamp: { from: 'header:x-acme-timestamp', format: 'ms' },
  id: ['header:x-acme-delivery'],
  type: ['body:kind'],
};

describe('crm-webhooks presets', function () {
  this.timeout(60_000);
  it('lists every preset with its signature, body, id/type, tolerance and handshake, as JSON too', async () => {
    const run = await runCli(['presets', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    const list = parseJson<Array<Record<string, unknown>>>(run);
    expect(list.map((p) => p.name)).to.deep.equal([...PRESET_NAMES]);
    expect(PRESET_NAMES).to.include.members(['shopify', 'slack', 'twilio', 'hubspot-v3', 'hubspot-v2', 'hubspot-v1', 'zendesk', 'intercom', 'mailgun', 'sendgrid', 'paddle', 'square', 'calendly', 'typeform', 'zoom', 'docusign', 'svix', 'salesforce-outbound']);
    for (const preset of list) expect(preset).to.include.keys('signature', 'body', 'idType', 'tolerance', 'handshake', 'answer', 'caveats');
    // The two providers that need their own success document say so; every other answers the contract's JSON.
    const documents = Object.fromEntries(list.filter((p) => !String(p.answer).startsWith('the JSON')).map((p) => [p.name, String(p.answer).split(':')[0]]));
    expect(documents).to.deep.equal({ twilio: '200 text/xml', 'salesforce-outbound': '200 text/xml' });
    const handshakes = Object.fromEntries(list.filter((p) => p.handshake !== null).map((p) => [p.name, String(p.handshake).split(':')[0]]));
    expect(handshakes).to.deep.equal({
      slack: 'slack-url-verification',
      zoom: 'zoom-url-validation',
      meta: 'meta-hub-challenge',
      x: 'x-crc',
      'microsoft-graph': 'graph-validation-token',
    });
    const text = await runCli(['presets']);
    expect(text.stdout).to.include('twilio (v1)').and.include('requires:  --public-url').and.include('answers:   200 text/xml: an empty TwiML <Response/>');
  });
});

describeEachDatabase('crm-webhooks partner add --preset / --spec-file', (db) => {
  // Each case starts the CLI several times; on a loaded CI machine one start takes seconds.
  beforeEach(function () {
    this.currentTest?.timeout(120_000);
  });
  const cli = (args: string[]) => runCli(args, { env: { DATABASE_URL: db().url } });
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-webhooks-spec-'));
    expect((await cli(['migrate'])).code).to.equal(0);
  });

  it('adds a preset partner with its settings, and refuses one that lacks a required setting', async () => {
    const missing = await cli(['partner', 'add', 'tw-missing', '--preset', 'twilio', '--secret', 'twilio-auth-token-0123']);
    expect(missing.code).to.equal(2);
    expect(oneLineReason(missing)).to.include('twilio needs --public-url');
    const run = await cli(['partner', 'add', 'tw', '--preset', 'twilio', '--secret', 'twilio-auth-token-0123', '--public-url', 'https://crm.example/plugins/webhooks/tw', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    const { partner } = parseJson<{ partner: PartnerJson }>(run);
    expect(partner).to.deep.include({ slug: 'tw', scheme: 'custom' });
    expect(partner.settings).to.deep.equal({ preset: 'twilio', publicUrl: 'https://crm.example/plugins/webhooks/tw' });
    const unset = await cli(['partner', 'set', 'tw', '--unset', 'public-url']);
    expect(unset.code).to.equal(2);
    expect(oneLineReason(unset)).to.include('twilio needs --public-url');
    const moved = await cli(['partner', 'set', 'tw', '--public-url', 'https://crm2.example/hooks/tw', '--json']);
    expect(parseJson<PartnerJson>(moved).settings).to.deep.include({ publicUrl: 'https://crm2.example/hooks/tw' });
  });

  it('takes --setting name=value for presets that need one', async () => {
    const run = await cli(['partner', 'add', 'sf', '--preset', 'salesforce-outbound', '--setting', 'organizationId=00D000000000062', '--json']);
    expect(run.code).to.equal(2);
    expect(oneLineReason(run)).to.include('needs an IP allowlist');
  });

  it('refuses an unknown preset and a bad spec file with one line, before touching the database', async () => {
    const unknown = await cli(['partner', 'add', 'x1', '--preset', 'nope']);
    expect(unknown.code).to.equal(2);
    oneLineReason(unknown);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...SPEC, algorithm: 'md5' }));
    const bad = await cli(['partner', 'add', 'x2', '--scheme', 'custom', '--spec-file', file]);
    expect(bad.code).to.equal(2);
    expect(oneLineReason(bad)).to.match(/invalid signature spec: algorithm: /);
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{');
    const broken = await cli(['partner', 'add', 'x3', '--scheme', 'custom', '--spec-file', notJson]);
    expect(broken.code).to.equal(2);
    expect(oneLineReason(broken)).to.include('not valid JSON');
  });

  describe('a custom scheme end to end', () => {
    let host: TestHost;
    before(async () => {
      host = await startTestHost(db().knex);
    });
    after(async () => {
      await host?.close();
    });

    it('adds a partner from a spec file and accepts what a sender following the spec signs', async () => {
      const file = join(dir, 'acme.json');
      writeFileSync(file, JSON.stringify(SPEC));
      const added = await cli(['partner', 'add', 'acme-custom', '--scheme', 'custom', '--spec-file', file, '--json']);
      expect(added.code, added.stderr).to.equal(0);
      const { secret } = parseJson<{ secret: string }>(added);
      const parsed = parseSignatureSpec(SPEC);
      if (!parsed.ok) throw new Error(parsed.error);
      const body = '{"kind":"invoice.paid","n":1}';
      const headers = createSpecScheme(parsed.spec).sign({ secret, rawBody: body, id: 'dlv_1', timestampSeconds: Math.floor(Date.now() / 1000) });
      expect(headers['x-acme-signature']).to.match(/^v1=/);
      const response = await post(host.url('acme-custom'), { body, headers: { 'content-type': 'application/json', ...headers } });
      expect(response.body).to.deep.equal({ status: 'accepted', id: 'dlv_1' });
      const forged = await post(host.url('acme-custom'), { body: body.replace('1}', '2}'), headers: { 'content-type': 'application/json', ...headers } });
      expect(forged.status).to.equal(401);
    });
  });
});
