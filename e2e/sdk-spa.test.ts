// Single-page apps built locally from npm packages (React Router, Next.js static export): every
// route change gives exactly one page_view — links, programmatic navigation, redirects, the back
// button — and start-up history calls or search-param updates give none.
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

async function step(page: Page, action: () => Promise<unknown>, heading: string): Promise<void> {
  await action();
  await page.locator('h1', { hasText: heading }).waitFor();
  await page.waitForTimeout(500); // well past the SDK's 200 ms debounce, even on a busy CI machine
}

test('React Router: one page_view per route change', async () => {
  const { context, page } = await newPage(browser);
  await page.goto(env.site + '/rr/');
  await page.waitForFunction(() => (window as any).tapistry?.loaded === true);
  await page.locator('h1', { hasText: 'Home' }).waitFor();
  const anon = await anonymousId(context);
  await step(page, () => page.click('#to-about'), 'About');
  await step(page, () => page.click('#go-item'), 'Item 42'); // navigate()
  await step(page, () => page.click('#sort'), 'Item 42'); // ?sort=price: not a route change
  await step(page, () => page.goBack(), 'Item 42'); // back to the same route without ?sort
  await step(page, () => page.goBack(), 'About');
  await step(page, () => page.goBack(), 'Home');
  await step(page, () => page.click('#to-old'), 'About'); // /old redirects (replace) to /about
  await flush(page);
  const views = await waitStored(env, anon, 'page_view', 6);
  expect(views.map((v) => v.path)).toEqual(['/rr', '/rr/about', '/rr/items/42', '/rr/about', '/rr', '/rr/about']);
  expect(views.slice(1).map((v) => v.props?.prev_path)).toEqual(['/rr', '/rr/about', '/rr/items/42', '/rr/about', '/rr']);
  await context.close();
});

test('Next.js (static export): one page_view per route change', async () => {
  const { context, page } = await newPage(browser);
  await page.goto(env.site + '/next/');
  await page.waitForFunction(() => (window as any).tapistry?.loaded === true);
  await page.locator('h1', { hasText: 'Next home' }).waitFor();
  await page.waitForTimeout(500); // hydration: Next.js calls replaceState with the same URL
  const anon = await anonymousId(context);
  await step(page, () => page.click('#to-about'), 'Next about');
  await step(page, () => page.click('#go-p2'), 'Next product 2'); // router.push
  await step(page, () => page.click('#to-home'), 'Next home');
  await step(page, () => page.click('#to-p1'), 'Next product 1');
  await step(page, () => page.goBack(), 'Next home');
  await flush(page);
  const views = await waitStored(env, anon, 'page_view', 6);
  expect(views.map((v) => v.path)).toEqual(['/next', '/next/about', '/next/products/2', '/next', '/next/products/1', '/next']);
  await context.close();
});
