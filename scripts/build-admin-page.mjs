// The admin page's build: its TypeScript (own tsconfig, DOM types) compiled into
// dist/plugin/admin-page, and its static files copied beside it. No bundler: the browser loads the
// page's few ES modules directly, so the package ships exactly these files and needs no CDN.
import { copyFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url);
const source = new URL('plugin/admin-page/', root);
const target = new URL('dist/plugin/admin-page/', root);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', new URL('tsconfig.json', source).pathname], { stdio: 'inherit' });
mkdirSync(target, { recursive: true });
for (const file of ['index.html', 'app.css', 'favicon.svg']) copyFileSync(new URL(file, source), new URL(file, target));
