import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium package (.ci/run installs it when missing); no browser download. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync',
];

/** Fails (never skips) when the browser is missing, saying how to get it. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** Where screenshots go: WEBHOOKS_TEST_OUTPUT, or test-output/ in the working directory. */
export function screenshotDir(): string {
  const dir = join(process.env.WEBHOOKS_TEST_OUTPUT ?? 'test-output', 'admin-page');
  mkdirSync(dir, { recursive: true });
  return dir;
}
