import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface PackEntry {
  files: Array<{ path: string }>;
}

describe('the published package', function () {
  this.timeout(60_000);

  it('ships the plugin, its migrations, the CLI and the demo, and no tests, CI or benchmarks', async () => {
    // --ignore-scripts: `prepare` would rebuild dist/ under the running suite.
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const paths = (JSON.parse(stdout) as PackEntry[])[0]!.files.map((f) => f.path);
    expect(paths).to.include.members([
      'package.json',
      'README.md',
      'plugin.manifest.json',
      'dist/plugin/index.js',
      'dist/plugin/index.d.ts',
      'dist/scripts/cli.js',
      'dist/scripts/demo-host.js',
      'dist/migrations/20261127000001_create_webhook_partners.js',
    ]);
    const unwanted = paths.filter((p) => /^(dist\/)?test\/|^\.ci\/|(^|\/)bench\/|^\.github\/|\.test\.|^tsconfig|^eslint/.test(p));
    expect(unwanted).to.deep.equal([]);
  });

  it('declares knex as a peer, and needs no SQLite driver to be installed', () => {
    const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as Record<string, Record<string, unknown>>;
    expect(manifest.peerDependencies).to.have.property('knex');
    expect(manifest.dependencies).not.to.have.any.keys('knex', 'better-sqlite3', 'mysql2');
    expect(manifest.peerDependenciesMeta).to.deep.include({ 'better-sqlite3': { optional: true } });
  });

  it('loads with require() in a CommonJS host, which receives and processes a signed event', async () => {
    const { stdout } = await run(process.execPath, [`${ROOT}test/packaging/commonjs-host.cjs`], { cwd: ROOT });
    const last = stdout.trim().split('\n').at(-1)!;
    expect(JSON.parse(last)).to.deep.equal({ status: 202, answer: { status: 'accepted', id: 'evt_cjs' }, email: 'ada@example.com' });
  });
});
