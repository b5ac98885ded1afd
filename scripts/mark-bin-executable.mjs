// tsc writes dist/ afresh without the run bit, and npm sets it only when it installs the package:
// without this, `npx crm-webhooks` fails with "Permission denied" after any rebuild (issue 10 item 8).
import { chmodSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const { bin } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
for (const path of Object.values(typeof bin === 'string' ? { bin } : bin ?? {})) chmodSync(new URL(path, root), 0o755);
