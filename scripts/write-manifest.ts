import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, manifestText, packageRoot } from './build-manifest.js';

/**
 * Regenerates plugin.manifest.json: `node dist/scripts/write-manifest.js`.
 * With --check it writes nothing and exits 1 when the committed file is out of date.
 */
const root = packageRoot();
const path = join(root, MANIFEST_FILE);
const text = manifestText(root);
let current = '';
try {
  current = readFileSync(path, 'utf8');
} catch {
  // no manifest yet
}
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error(`${MANIFEST_FILE} is out of date: run node dist/scripts/write-manifest.js`);
    process.exit(1);
  }
} else if (current !== text) {
  writeFileSync(path, text);
  console.log(`wrote ${MANIFEST_FILE}`);
} else {
  console.log(`${MANIFEST_FILE} is up to date`);
}
