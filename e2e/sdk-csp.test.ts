// The SRI snippet under a strict nonce-based CSP ('strict-dynamic', connect-src the ingest origin
// only, no unsafe-inline/unsafe-eval): the SDK loads and sends without one violation; with a wrong
// SRI hash the browser refuses the script.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { anonymousId, flush, launch, newPage, waitStored } from './lib/browser';

const env = inject('e2e');
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function watchViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    (window as any).__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as any).__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
}

test('strict CSP: the SRI snippet loads, events arrive, no violation', async () => {
  const { context, page } = await newPage(browser);
  await watchViolations(page);
  const resp = await page.goto(env.site + '/static/csp.html');
  expect(resp!.headers()['content-security-policy']).toContain("'strict-dynamic'");
  await page.waitForFunction(() => (window as any).tapistry?.loaded === true);
  const anon = await anonymousId(context);
  await page.click('#go');
  await page.waitForTimeout(200);
  await flush(page);
  const views = await waitStored(env, anon, 'page_view', 1);
  expect(views).toHaveLength(1);
  expect(await page.evaluate(() => (window as any).__csp)).toEqual([]);
  await context.close();
});

test('strict CSP with a wrong SRI hash: the browser refuses the script', async () => {
  const { context, page } = await newPage(browser);
  const errors: string[] = [];
  page.on('console', (m) => errors.push(m.text()));
  await page.goto(env.site + '/static/csp-bad-sri.html');
  await page.waitForTimeout(1500);
  expect(await page.evaluate(() => (window as any).tapistry?.loaded)).toBeUndefined();
  expect(errors.join('\n')).toMatch(/integrity/i);
  await context.close();
});
