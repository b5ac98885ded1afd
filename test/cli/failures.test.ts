import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { oneLineReason, runCli } from './run-cli.js';

describe('crm-webhooks failures', () => {
  let dir: string;
  let env: Record<string, string>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'crm-webhooks-cli-'));
    env = { DATABASE_URL: `sqlite:${join(dir, 'cli.sqlite')}` };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 with one line naming the database (without its password) when the database is unreachable', async () => {
    const run = await runCli(['outbox', 'stats', '--json'], { env: { DATABASE_URL: 'mysql://root:s3cr3t-pw@127.0.0.1:1/nope' } });
    expect(run.code).to.equal(1);
    expect(run.stdout).to.equal('');
    const line = oneLineReason(run);
    expect(line).to.match(/^crm-webhooks: cannot reach the database at mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/nope: .*ECONNREFUSED/);
    expect(run.stderr).not.to.include('s3cr3t-pw');
  });

  it('says which DATABASE_URL forms work when it has another scheme', async () => {
    const run = await runCli(['partner', 'list'], { env: { DATABASE_URL: 'postgres://u:p@h/db' } });
    expect(run.code).to.equal(1);
    expect(oneLineReason(run)).to.include('use mysql:// or sqlite:');
  });

  it('tells the admin to migrate when the tables do not exist yet', async () => {
    const run = await runCli(['partner', 'list'], { env });
    expect(run.code).to.equal(1);
    expect(oneLineReason(run)).to.include('run `crm-webhooks migrate` first');
  });

  it('exits 2 with one line for an unknown command, option or a bad value, pointing at the right --help', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['partner', 'lst'], /unknown command 'lst'.*crm-webhooks partner --help/],
      [['partner', 'add', 'acme', '--bogus'], /unknown option '--bogus'.*crm-webhooks partner add --help/],
      [['outbox', 'list', '--limit', 'many'], /--limit.*'many' is invalid/],
      [['outbox', 'list', '--status', 'lost'], /--status.*'lost' is invalid/],
      [['outbox', 'show', 'abc'], /'abc' is invalid for argument 'id'/],
      [['outbox', 'prune', '--older-than', '30'], /"30" is not a duration/],
      [['outbox', 'prune', '--older-than', '3 months'], /not a duration/],
      [['outbox', 'prune'], /required option '--older-than <duration>' not specified/],
      [['outbox', 'prune', '--older-than', '30d', '--streams', '9'], /--streams.*'9' is invalid/],
      [['outbox', 'replay'], /give the ids to replay, or --status dead/],
      [['outbox', 'replay', '1', '--status', 'dead'], /either ids or --status dead/],
      [['partner', 'add', 'acme', '--scheme', 'md5'], /--scheme.*'md5' is invalid/],
      [['partner', 'add', 'acme', '--secret', 'x', '--secret-stdin'], /either --secret or --secret-stdin/],
      [['partner', 'set', 'acme', '--rate', '5'], /--rate and --burst go together/],
      [['partner', 'set', 'acme', '--allow-ip', '300.1.2.3'], /not an IP address or CIDR/],
      [['partner', 'reencrypt', '--from-key', 'short', '--to-key', 'none'], /--from-key must be a 32-byte key/],
      [['partner', 'reencrypt', '--from-key', 'env:CRMWH_NOT_SET', '--to-key', 'none'], /variable CRMWH_NOT_SET is not set/],
    ];
    for (const [args, reason] of cases) {
      const run = await runCli([...args, '--json'], { env });
      expect(run.code, args.join(' ')).to.equal(2);
      expect(run.stdout, args.join(' ')).to.equal('');
      expect(oneLineReason(run), args.join(' ')).to.match(reason);
    }
    const bare = await runCli(['partner'], { env });
    expect(bare.code).to.equal(2);
    expect(oneLineReason(bare)).to.match(/missing command.*crm-webhooks partner --help/);
  });

  it('exits 2 when the partner service refuses an argument, such as a slug outside the pattern', async () => {
    await runCli(['migrate'], { env });
    const run = await runCli(['partner', 'add', 'Not A Slug'], { env });
    expect(run.code).to.equal(2);
    expect(oneLineReason(run)).to.include('slug must be 1 to 64');
  });

  it('prints help on stdout and exits 0 for --help', async () => {
    const run = await runCli(['outbox', 'replay', '--help']);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.include('Usage: crm-webhooks outbox replay');
    expect(run.stdout).to.include('--json');
    const add = await runCli(['partner', 'add', '--help']);
    expect(add.stdout).to.include('--secret-stdin');
    expect(add.stdout).to.include('shell history');
  });
});
