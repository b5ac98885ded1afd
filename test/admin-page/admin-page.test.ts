import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post, signedPost } from '../helpers/requests.js';
import { launchChromium, screenshotDir } from './browser.js';

const run = promisify(execFile);
const SESSION = { name: 'crm_session', value: 'admin-page-session-41c2' };

/**
 * The admin page in headless Chromium against a real host: what a CRM admin does, click by click.
 * Waits are bounded by playwright's timeouts only as a failure limit; nothing asserts on speed.
 */
describeEachDatabase('admin page in a browser', (db) => {
  let host: TestHost;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let failing = false;
  const consoleErrors: string[] = [];
  const shots = screenshotDir();
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}-${db().kind}.png`), fullPage: true });

  before(async function () {
    this.timeout(60_000);
    host = await startTestHost(db().knex, {
      authorize: (ctx) => ctx.cookies.get(SESSION.name) === SESSION.value,
      processing: { maxAttempts: 2, pollIntervalMs: 50, maxPollIntervalMs: 100, backoff: { initialMs: 50, maxMs: 100, jitter: 0 } },
    }, true);
    host.plugin.on('*', () => {
      if (failing) throw new Error('the CRM refused this event (test failure)');
    });
    browser = await launchChromium();
    const origin = new URL(host.baseUrl).origin;
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await context.addCookies([{ ...SESSION, url: origin }]);
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    // CSP violations and script errors land here; the page must cause none.
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  });
  after(async function () {
    this.timeout(30_000);
    await browser?.close();
    await host?.close();
  });

  const adminUrl = () => `${host.baseUrl}/_admin/`;
  let secret = '';
  let curl = '';

  // A browser on a busy machine (or a cold one) needs longer than the suite's default per test.
  describe('as an admin would use it', function () {
    this.timeout(90_000);

    it('adds a partner with a preset from the keyboard, shows its secret once and copies its URL', async () => {
      await page.goto(adminUrl());
      await page.getByRole('heading', { name: 'Partners' }).waitFor();
      await page.getByRole('button', { name: 'Add partner' }).focus();
      await page.keyboard.press('Enter');
      // The form builds after it has fetched the schemes, then puts the cursor in the slug field:
      // type only once it is there, as a person would.
      const slugField = page.getByLabel('Slug (part of the URL)');
      await slugField.waitFor();
      for (let tries = 0; !(await slugField.evaluate((el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement)); tries += 1) {
        if (tries > 100) throw new Error('the slug field never took the focus');
        await page.waitForTimeout(100);
      }
      await page.keyboard.type('shop');
      await page.getByLabel('Signature scheme or preset').selectOption('stripe');
      await page.getByRole('button', { name: 'Add partner', exact: true }).last().click();

      const dialog = page.getByRole('dialog', { name: 'Partner shop added' });
      await dialog.waitFor();
      secret = await dialog.getByLabel('Secret of shop').inputValue();
      expect(secret).to.match(/^whsec_/);
      curl = await dialog.getByLabel('Send a signed test event (curl)').inputValue();
      await dialog.getByRole('button', { name: 'Copy' }).nth(1).click();
      const copied = await page.evaluate<string>('navigator.clipboard.readText()');
      expect(copied).to.equal(`${host.baseUrl}/shop`);
      await shot('partner-added');
      await dialog.getByRole('button', { name: 'Done' }).click();

      // Closed, the secret is nowhere in the page any more, and the list has the partner.
      await page.locator('tr[data-partner="shop"]').waitFor();
      expect(await page.content()).not.to.include(secret);
      expect(await page.locator('tr[data-partner="shop"]').innerText()).to.include('stripe');
    });

    it('shows an event sent with the printed curl and sees it turn done', async () => {
      const { stdout } = await run('sh', ['-c', curl]);
      expect(stdout).to.match(/^HTTP\/1\.1 202/);
      await page.getByRole('link', { name: 'Events' }).click();
      const row = page.locator('tbody tr', { hasText: 'shop' }).first();
      await row.waitFor();
      await page.locator('tbody tr[data-status="done"]', { hasText: 'sample.ping' }).waitFor();
    });

    it('shows a failing event turn dead, and replays it from its detail page until it is done', async () => {
      failing = true;
      const request = signedPost('stripe', secret, { id: 'evt_fails_until_fixed', type: 'invoice.paid' });
      expect((await post(host.url('shop'), request)).status).to.equal(202);
      const dead = page.locator('tbody tr[data-status="dead"]', { hasText: 'evt_fails_until_fixed' });
      await dead.waitFor();
      expect(await dead.innerText()).to.include('the CRM refused this event');
      await shot('events');

      failing = false;
      await dead.getByRole('link').click();
      await page.getByRole('heading', { name: /^Event \d+$/ }).waitFor();
      expect(await page.locator('#event-status').innerText()).to.equal('dead');
      expect(await page.locator('pre.payload').innerText()).to.include('"id": "evt_fails_until_fixed"');
      expect(await page.locator('.timeline').innerText()).to.include('dead after 2 attempts');
      await shot('event-detail');
      await page.getByRole('button', { name: 'Replay this event' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Replay' }).click();
      // A locator, not waitForFunction: the page's CSP (rightly) forbids the eval that one needs.
      await page.locator('#event-status').filter({ hasText: /^done$/ }).waitFor();
    });

    it('disables a partner after confirmation and shows the 403 in its refusal counts', async () => {
      await page.getByRole('link', { name: 'Partners' }).click();
      const row = page.locator('tr[data-partner="shop"]');
      await row.getByRole('button', { name: 'Disable' }).click();
      await page.getByRole('dialog', { name: 'Disable shop?' }).getByRole('button', { name: 'Disable' }).click();
      await row.getByText('disabled', { exact: true }).waitFor();

      const refused = await post(host.url('shop'), signedPost('stripe', secret, { id: 'evt_while_disabled', type: 'invoice.paid' }));
      expect(refused.status).to.equal(403);
      await page.reload();
      await page.locator('tr[data-partner="shop"] td.refusals', { hasText: '403 partner disabled × 1' }).waitFor();
      await shot('partners');
    });

    it('draws the last hour per partner on the Now view', async () => {
      await page.getByRole('link', { name: 'Now' }).click();
      const shop = page.getByRole('region', { name: 'shop' });
      await shop.waitFor();
      expect(await shop.getByRole('img', { name: /^Accepted \/ min: 2 in the last hour/ }).count()).to.equal(1);
      expect(await shop.getByRole('img', { name: /^Refused \/ min: 1 in the last hour/ }).count()).to.equal(1);
      await shot('now');
    });

    it('fits a phone screen without sideways scrolling of the page', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      for (const view of ['partners', 'events', 'now']) {
        await page.goto(`${adminUrl()}#${view}`);
        await page.locator('main h2').waitFor();
        await page.waitForLoadState('networkidle');
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
        expect(overflow, view).to.be.at.most(0);
      }
      await page.goto(`${adminUrl()}#partners`);
      await page.locator('tr[data-partner="shop"]').waitFor();
      await shot('phone-partners');
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    it('ran without a script error or a Content-Security-Policy violation', () => {
      expect(consoleErrors).to.deep.equal([]);
    });

    it('serves nothing without authorization: a 401 without any data, not even the empty page', async () => {
      const anonymous = await browser.newContext();
      try {
        const visitor = await anonymous.newPage();
        const response = await visitor.goto(adminUrl());
        expect(response?.status()).to.equal(401);
        const text = await response!.text();
        expect(text).not.to.include('shop');
        expect(text).not.to.include('<html');
        for (const path of ['assets/app.js', 'partners', 'outbox', 'figures']) {
          const answer = await visitor.request.get(`${adminUrl()}${path}`);
          expect(answer.status(), path).to.equal(401);
          expect(await answer.text(), path).not.to.include('shop');
        }
      } finally {
        await anonymous.close();
      }
    });
  });
});
