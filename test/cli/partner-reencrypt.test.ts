import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createSecretBox, parseSecretKey } from '../../plugin/secrets/secret-box.js';
import { openSecret, parseStoredSecrets } from '../../plugin/secrets/stored-secret.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { oneLineReason, parseJson, runCli } from './run-cli.js';

describeEachDatabase('crm-webhooks partner reencrypt', (db) => {
  const key1 = randomBytes(32).toString('hex');
  const key2 = randomBytes(32).toString('base64');
  const box1 = createSecretBox(parseSecretKey(key1));
  const box2 = createSecretBox(parseSecretKey(key2));
  const secrets = { alpha: 'alpha-secret-0123456789abcdef', beta: 'beta-secret-0123456789abcdef' };
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { env: { DATABASE_URL: db().url, ...env } });
  const stored = async (slug: string) => parseStoredSecrets((await db().knex('webhook_partners').where({ slug }).first()).secrets, slug);

  before(async () => {
    expect((await cli(['migrate'])).code).to.equal(0);
    for (const [slug, secret] of Object.entries(secrets)) expect((await cli(['partner', 'add', slug, '--secret', secret])).code).to.equal(0);
  });

  it('encrypts plain secrets under a new key', async () => {
    const run = await cli(['partner', 'reencrypt', '--from-key', 'none', '--to-key', key1, '--json']);
    expect(run.code, run.stderr).to.equal(0);
    expect(parseJson(run)).to.deep.equal({ partners: 2, secrets: 2, fromKey: null, toKey: box1.kid });
    for (const [slug, secret] of Object.entries(secrets)) {
      const [entry] = await stored(slug);
      expect(entry!.enc?.split('.')[1]).to.equal(box1.kid);
      expect(openSecret(box1, slug, entry!)).to.equal(secret);
    }
  });

  it('moves secrets from one key to another, taking keys from named environment variables', async () => {
    const run = await cli(['partner', 'reencrypt', '--from-key', 'env:OLD_KEY', '--to-key', 'env:NEW_KEY'], { OLD_KEY: key1, NEW_KEY: key2 });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include(`Re-encrypted 2 secrets of 2 partners from key ${box1.kid} to key ${box2.kid}`);
    for (const [slug, secret] of Object.entries(secrets)) expect(openSecret(box2, slug, (await stored(slug))[0]!)).to.equal(secret);
  });

  it('fails with one line naming the partner when the old key is wrong, and changes nothing', async () => {
    const before = await db().knex('webhook_partners').select('slug', 'secrets').orderBy('slug');
    const run = await cli(['partner', 'reencrypt', '--from-key', key1, '--to-key', 'none', '--json']);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.equal('');
    const line = oneLineReason(run);
    expect(line).to.include('partner "alpha"');
    expect(line).to.include(`--from-key ${box1.kid}`);
    expect(line).not.to.include(secrets.alpha);
    expect(await db().knex('webhook_partners').select('slug', 'secrets').orderBy('slug')).to.deep.equal(before);
  });

  it('decrypts back to plain text with --to-key none', async () => {
    const run = await cli(['partner', 'reencrypt', '--from-key', key2, '--to-key', 'none']);
    expect(run.code, run.stderr).to.equal(0);
    expect((await stored('beta'))[0]).to.deep.include({ plain: secrets.beta });
  });
});
