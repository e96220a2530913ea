// "Try it in a minute" (issue 4): the demo site `tapistry serve` serves at /demo/ records a
// newcomer's clicks in the Demo project; its banner link opens that project's heatmap of the page,
// which shows them over the page's snapshot, and clicks made later arrive without a reload.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { dashboardContext, type DashEnv, shoot, startDashboardEnv, watchErrors } from './lib/dashboard';

let env: DashEnv;

beforeAll(async () => {
  env = await startDashboardEnv();
});
afterAll(async () => {
  await env?.stop();
});

/** Opens the demo home page and waits for the snippet; `snapshot` settles once the page's
 * snapshot has been stored (the snippet sends one per page and width the first time). */
async function openDemo(page: Page): Promise<{ snapshot: Promise<unknown> }> {
  const snapshot = page.waitForResponse((r) => new URL(r.url()).pathname === '/s' && r.request().method() === 'POST' && r.ok(), { timeout: 20000 });
  snapshot.catch(() => {}); // awaited (or not) by the caller
  await page.goto(env.tap.origin + '/demo/');
  await page.waitForFunction(() => (window as any).tapistry?.loaded === true);
  return { snapshot };
}

test('the demo site: clicks, then "See this page\'s heatmap" shows them in the Demo project, and later clicks arrive live', async () => {
  const dash = await dashboardContext(env);
  const page = await dash.newPage();
  const errors = watchErrors(page);
  const { snapshot } = await openDemo(page);
  // four clicks on four elements far apart (no double or rage click), one of them a dead click
  for (const sel of ['#hero-tour', 'h1', '.lead', '.eyebrow']) {
    await page.locator(sel).first().click();
    await page.waitForTimeout(300);
  }
  await snapshot; // so the heatmap is drawn over the page, not the "no snapshot yet" panel
  // the banner link is the fifth click; leaving the page sends them all
  await page.getByRole('link', { name: "See this page's heatmap →" }).click();
  await page.waitForURL(/\/app\/heatmaps\?/);
  const url = new URL(page.url());
  expect(url.searchParams.get('path')).toBe('/demo');
  // the switcher names the project and the user's role in it (once the project list has loaded)
  await expect.poll(() => page.locator('.project-switch select option:checked').textContent(), { timeout: 10000 }).toBe('Demo (owner)');
  const status = page.locator('.stage-status');
  await expect.poll(() => status.textContent(), { timeout: 20000 }).toMatch(/^5 clicks · 1 pageview on \/demo/);
  await page.locator('.overlay').waitFor({ timeout: 15000 });
  await shoot(page, 'heatmaps-demo');
  // the demo opts out of text masking (its own text): the snapshot reads like the page
  const h1 = await page.evaluate(() => (document.querySelector('iframe.page-frame') as HTMLIFrameElement).contentDocument!.querySelector('h1')!.textContent);
  expect(h1).toBe('Plan less. Ship more.');
  expect(await page.locator('.el-row[data-selector="#hero-tour"]').count()).toBe(1);

  // meanwhile, in another tab: two more clicks on the demo page, then that tab moves on
  const other = await dash.newPage();
  await openDemo(other);
  await other.locator('#hero-tour').click();
  await other.waitForTimeout(300);
  await other.locator('h1').click();
  await other.goto('about:blank');
  // the open heatmap picks them up by itself (10 s refresh), no reload
  await expect.poll(() => status.textContent(), { timeout: 25000 }).toMatch(/^7 clicks · 2 pageviews on \/demo/);
  // the element list refreshes after the status line: wait for it too
  await expect.poll(() => page.locator('.el-row[data-selector="#hero-tour"]').getAttribute('data-clicks'), { timeout: 15000 }).toBe('2');
  expect(errors).toEqual([]);
  await dash.close();
});
