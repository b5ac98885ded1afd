import { expect } from 'chai';
import { runCli } from '../cli/run-cli.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';

const SECRET = 'unreadable-test-secret-0123456789';

interface ListedPartner {
  slug: string;
  secrets: unknown[];
  problem?: string;
}

describeEachDatabase('a partner row that cannot be read', (db) => {
  let host: TestHost;

  before(async () => {
    host = await startTestHost(db().knex, { authorize: () => true });
    for (const slug of ['alpha', 'broken-secrets', 'broken-settings', 'omega']) await host.plugin.partners.add({ slug, secret: SECRET });
    // As a hand edit or a half-restored backup would leave them.
    await db().knex('webhook_partners').where({ slug: 'broken-secrets' }).update({ secrets: '[{"enc": trunc' });
    await db().knex('webhook_partners').where({ slug: 'broken-settings' }).update({ settings: '{not json' });
  });
  after(async () => host?.close());

  it('is listed as unreadable by GET /_admin/partners while the others are listed as usual', async () => {
    const response = await fetch(`${host.baseUrl}/_admin/partners`);
    const text = await response.text();
    expect(response.status, text).to.equal(200);
    const partners = (JSON.parse(text) as { partners: ListedPartner[] }).partners;
    expect(partners.map((p) => p.slug)).to.deep.equal(['alpha', 'broken-secrets', 'broken-settings', 'omega']);
    const bySlug = Object.fromEntries(partners.map((p) => [p.slug, p]));
    expect(bySlug['broken-secrets']!.problem).to.include('secrets column of partner "broken-secrets" is not valid JSON');
    expect(bySlug['broken-settings']!.problem).to.include('settings column of partner "broken-settings"');
    for (const slug of ['alpha', 'omega']) {
      expect(bySlug[slug]!).not.to.have.property('problem');
      expect(bySlug[slug]!.secrets).to.have.length(1);
    }
    expect(text).not.to.include(SECRET);
  });

  it('is listed as unreadable by `partner list`, which still succeeds for the others', async () => {
    const env = { env: { DATABASE_URL: db().url } };
    const plain = await runCli(['partner', 'list'], env);
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stdout).to.match(/^alpha\s/m);
    expect(plain.stdout).to.match(/^omega\s/m);
    expect(plain.stdout).to.match(/^broken-secrets\s.*UNREADABLE/m);
    expect(plain.stdout, plain.stdout).to.include('the secrets column of partner "broken-secrets" is not valid JSON');
    const json = await runCli(['partner', 'list', '--json'], env);
    expect(json.code, json.stderr).to.equal(0);
    const listed = JSON.parse(json.stdout) as ListedPartner[];
    expect(listed.filter((p) => p.problem).map((p) => p.slug)).to.deep.equal(['broken-secrets', 'broken-settings']);
  });
});
