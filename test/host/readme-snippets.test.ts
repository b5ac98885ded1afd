import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The ```ts blocks of the README's "Mount it in your host" section, by the file their first line names. */
export function hostSnippets(): Map<string, string> {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf('## Mount it in your host');
  const section = text.slice(start, text.indexOf('\n## ', start + 1));
  const files = new Map<string, string>();
  for (const [, code] of section.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const name = /^\/\/ file: (\S+)/.exec(code!)?.[1];
    if (!name) throw new Error(`a ts block of "Mount it in your host" does not start with "// file: <name>":\n${code}`);
    files.set(name, code!);
  }
  return files;
}

/**
 * What the snippets take from the host: its knex (any knex 3 instance) and, for Strapi, the few
 * members of Strapi's types they use (Strapi itself is not installed here).
 */
const HOST_STUBS: Record<string, string> = {
  'crm/db.ts': "import knexFactory from 'knex';\nexport const knex = knexFactory({ client: 'mysql2' });\n",
  'strapi.d.ts': `declare module '@strapi/strapi' {
  import type { Knex } from 'knex';
  export namespace Core {
    interface Strapi {
      db: { connection: Knex };
      log: { debug(message: string, ...meta: unknown[]): void; info(message: string, ...meta: unknown[]): void; warn(message: string, ...meta: unknown[]): void; error(message: string, ...meta: unknown[]): void; log(...args: unknown[]): void; transports: unknown[] };
    }
  }
}
`,
};

describe('README host snippets', function () {
  this.timeout(120_000);

  it('has Koa, Express and Strapi examples, each under 15 lines of code', () => {
    const snippets = hostSnippets();
    expect([...snippets.keys()]).to.include.members(['koa-host.ts', 'express-host.ts', 'src/index.ts', 'src/middlewares/webhooks.ts']);
    const codeLines = (code: string) => code.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('//')).length;
    expect(codeLines(snippets.get('koa-host.ts')!)).to.be.below(15);
    expect(codeLines(snippets.get('express-host.ts')!)).to.be.below(15);
    expect(codeLines(snippets.get('src/index.ts')!) + codeLines(snippets.get('src/middlewares/webhooks.ts')!)).to.be.at.most(15);
  });

  it('compile under a strict tsconfig against the built package', async () => {
    // Inside the repository, so `crm-webhooks` resolves to this package (self-reference) and its dependencies.
    const dir = mkdtempSync(join(ROOT, 'dist', 'readme-snippets-'));
    try {
      const files = { ...Object.fromEntries(hostSnippets()), ...HOST_STUBS };
      for (const [name, code] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), code);
      }
      const tsconfig = {
        compilerOptions: { strict: true, noEmit: true, target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], skipLibCheck: true, esModuleInterop: true, noUnusedLocals: true },
        include: ['**/*.ts'],
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(result, 'type errors in the README snippets').to.equal('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
