import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from './helpers/databases.js';
import { startTestHost, type TestHost } from './helpers/host.js';
import { BUILT_IN_SCHEME_NAMES } from '../plugin/signatures/index.js';

const run = promisify(execFile);
const README = new URL('../../README.md', import.meta.url);

/** The shell snippets of the README's "For partners" section, in the order of the schemes. */
function partnerSnippets(): string[] {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## For partners'), text.indexOf('\n## ', text.indexOf('## For partners') + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('README signing examples', () => {
  let db: TestDatabase;
  let host: TestHost;
  before(async () => {
    db = await createTestDatabase('sqlite');
    host = await startTestHost(db.knex);
  });
  after(async () => {
    await host?.close();
    await db?.destroy();
  });

  it('has one example per scheme', () => {
    expect(partnerSnippets()).to.have.length(BUILT_IN_SCHEME_NAMES.length);
  });

  partnerSnippets().forEach((snippet, i) => {
    const scheme = BUILT_IN_SCHEME_NAMES[i]!;
    it(`signs a request the plugin accepts with ${scheme}, using openssl and curl as written`, async () => {
      const slug = `readme-${i}`;
      const { secret } = await host.plugin.partners.add({ slug, scheme });
      const body = '{"id":"evt_readme","type":"contact.updated","data":{"email":"ada@example.com","name":"Ada"}}';
      const origin = host.baseUrl.replace(/\/plugins\/webhooks$/, '');
      const commands = snippet.replace(/^body=.*\n/m, '').replaceAll('/plugins/webhooks/acme', `/plugins/webhooks/${slug}`);
      const script = `set -euo pipefail\nbody='${body}'\n${commands}`;
      const { stdout } = await run('bash', ['-c', script], { env: { ...process.env, SECRET: secret, CRM: origin } });
      expect(JSON.parse(stdout)).to.include({ status: 'accepted' });
    });
  });
});
