import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { knexConfigFromUrl } from '../../plugin/store/connect.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { parseJson, runCli } from './run-cli.js';

describe('crm-webhooks inside a host project', () => {
  let project: string;
  beforeEach(() => {
    project = mkdtempSync(join(tmpdir(), 'crm-host-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'acme-crm', private: true }));
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  it('refuses to invent a database without DATABASE_URL, and creates no file', async () => {
    const run = await runCli(['partner', 'add', 'acme'], { cwd: project });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/^crm-webhooks: DATABASE_URL is not set: point it at the host's database .*--config.*--demo/);
    expect(existsSync(join(project, 'data'))).to.equal(false);
  });

  it('uses the demo database only when asked with --demo', async () => {
    const run = await runCli(['--demo', 'migrate', '--json'], { cwd: project });
    expect(run.code, run.stderr).to.equal(0);
    expect(existsSync(join(project, 'data', 'crm-webhooks.sqlite'))).to.equal(true);
  });

  it('reads DATABASE_URL and WEBHOOKS_SECRET_KEY from --config', async () => {
    const key = randomBytes(32).toString('hex');
    writeFileSync(join(project, '.env'), `# the host's own env file\nDATABASE_URL=sqlite:${join(project, 'host.sqlite')}\nWEBHOOKS_SECRET_KEY=${key}\n`);
    expect((await runCli(['--config', '.env', 'migrate'], { cwd: project })).code).to.equal(0);
    const added = await runCli(['partner', 'add', 'acme', '--json', '--config', '.env'], { cwd: project });
    expect(added.code, added.stderr).to.equal(0);
    expect(added.stderr).not.to.contain('unencrypted');
    expect(existsSync(join(project, 'host.sqlite'))).to.equal(true);
  });

  it('says so when the env file cannot be read', async () => {
    const run = await runCli(['--config', 'missing.env', 'partner', 'list'], { cwd: project });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/^crm-webhooks: cannot read the --config file missing.env/);
  });
});

describe('DATABASE_URL TLS options', () => {
  it('verifies the server against the system CAs with ssl=true, and against a bundle with ssl-ca', () => {
    const withSsl = knexConfigFromUrl('mysql://u:p@db.example.com/crm?ssl=true').connection as Record<string, unknown>;
    expect(withSsl.ssl).to.deep.equal({ rejectUnauthorized: true });
    const dir = mkdtempSync(join(tmpdir(), 'crm-ca-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
      const withCa = knexConfigFromUrl(`mysql://u:p@db.example.com/crm?ssl-ca=${join(dir, 'ca.pem')}`).connection as Record<string, unknown>;
      expect(withCa.ssl).to.deep.equal({ ca: '-----BEGIN CERTIFICATE-----\n', rejectUnauthorized: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses options it does not know rather than ignoring them', () => {
    expect(() => knexConfigFromUrl('mysql://u:p@db.example.com/crm?sslmode=disable')).to.throw(/option "sslmode" is not supported/);
  });
});

describeEachDatabase('crm-webhooks and the host using the same secret key', (db) => {
  const keyA = randomBytes(32).toString('hex');
  const keyB = randomBytes(32).toString('hex');
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { env: { DATABASE_URL: db().url, ...env } });

  before(async () => {
    expect((await cli(['migrate'])).code).to.equal(0);
    expect((await cli(['partner', 'add', 'sealed', '--json'], { WEBHOOKS_SECRET_KEY: keyA })).code).to.equal(0);
  });

  it('warns loudly when it stores a plain secret while the stored ones are encrypted', async () => {
    const run = await cli(['partner', 'add', 'plainly', '--json']);
    expect(run.code).to.equal(0);
    expect(run.stderr).to.match(/warning: the stored secrets \(partner "sealed"\) are encrypted, but WEBHOOKS_SECRET_KEY is not set here/);
    await db().knex('webhook_partners').where({ slug: 'plainly' }).delete();
  });

  it('refuses to seal with another key than the stored secrets use', async () => {
    const run = await cli(['partner', 'rotate', 'sealed'], { WEBHOOKS_SECRET_KEY: keyB });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/WEBHOOKS_SECRET_KEY here is not the key the stored secrets are encrypted with/);
  });

  it('warns when plain secrets are stored although this CLI has a key', async () => {
    await db().knex('webhook_partners').where({ slug: 'sealed' }).delete();
    expect((await cli(['partner', 'add', 'old-plain', '--json'])).code).to.equal(0);
    const run = await cli(['partner', 'add', 'new-sealed', '--json'], { WEBHOOKS_SECRET_KEY: keyA });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.contain('1 stored secret(s) are unencrypted although WEBHOOKS_SECRET_KEY is set here');
  });

  it('has one name for the allow-ip flag and its --unset', async () => {
    expect((await cli(['partner', 'set', 'new-sealed', '--allow-ip', '203.0.113.0/24'])).code).to.equal(0);
    const unset = await cli(['partner', 'set', 'new-sealed', '--unset', 'allow-ip', '--json']);
    expect(unset.code, unset.stderr).to.equal(0);
    expect(parseJson<{ settings: Record<string, unknown> }>(unset).settings).not.to.have.property('allowIps');
  });
});
