// Screenshots of every dashboard page at 1440×900 and 390×844 into e2e/out/screenshots/ (not
// committed; look at them), with the checks a glance would make: styled (our stylesheet applied),
// no raw JSON, nothing wider than the screen, and no two labels drawn over each other.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { app, dashboardContext, type DashEnv, DESKTOP, figure, PHONE, postSnapshot, readApi, shoot, sitePage, startDashboardEnv, watchErrors } from './lib/dashboard';

let env: DashEnv;
const PATH = '/static/dash-heat.html';

beforeAll(async () => {
  env = await startDashboardEnv();
  const site = await env.browser.newContext({ viewport: { width: 1280, height: 1600 } });
  const p = await sitePage(env, site, PATH);
  for (const [x, y] of [[500, 360], [560, 380], [620, 400], [760, 1420], [820, 1450], [950, 30], [990, 30]] as const) {
    await p.mouse.click(x, y);
    await p.waitForTimeout(60);
  }
  await p.evaluate(() => (window as any).tapistry('flush'));
  const p2 = await sitePage(env, site, '/static/dash-scroll.html');
  await p2.evaluate(() => window.scrollTo(0, 1600));
  await p2.waitForTimeout(300);
  await postSnapshot(env, p);
  await postSnapshot(env, p2);
  await p2.goto('about:blank');
  const end = Date.now() + 15000;
  while (Date.now() < end && (await readApi<{ total: number }>(env, '/api/heatmap', { path: PATH })).body.total < 7) await new Promise((r) => setTimeout(r, 300));
  await site.close();
});
let checked = 0;
afterAll(async () => {
  await env?.stop();
  figure('screenshots', `${checked} of ${2 * (PAGES.length + 1)} pages at 1440×900 and 390×844 written to e2e/out/screenshots/ and passed the checks (styled, no raw JSON, no horizontal overflow, no overlapping labels, no console errors)`);
});

/** Layout problems a person would notice in a screenshot. */
async function layoutProblems(page: Page): Promise<string[]> {
  await page.evaluate(() => window.scrollTo(0, 0));
  return page.evaluate(() => {
    const out: string[] = [];
    const body = document.body;
    if (getComputedStyle(document.documentElement).backgroundColor !== 'rgb(246, 247, 249)') out.push('unstyled: page background ' + getComputedStyle(document.documentElement).backgroundColor);
    if (getComputedStyle(document.documentElement).fontFamily.includes('Times')) out.push('unstyled: serif font');
    const text = body.innerText.trim();
    if (/^[{[]\s*"/.test(text) || /"error"\s*:/.test(text)) out.push('raw JSON on the page');
    const se = document.scrollingElement!;
    if (se.scrollWidth > window.innerWidth + 1) out.push(`horizontal overflow: ${se.scrollWidth} > ${window.innerWidth}`);
    for (const a of Array.from(document.querySelectorAll('.nav-link'))) {
      const r = a.getBoundingClientRect();
      if (r.left < -1 || r.right > window.innerWidth + 1) out.push(`navigation item past the screen's edge: ${a.textContent!.trim()}`);
    }
    const sel =
      'h1, h2, .nav-link span, .tile-label, .tile-value, .row-label, .row-value, .segmented button, .btn, .pill, .state-title, .legend, .stage-status, .el-rank, .el-sel, .page-sub, .filter-bar select, .date-button, .toggle, .tab, label';
    const els = Array.from(document.querySelectorAll<HTMLElement>(sel)).filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden' && !e.closest('.stage, .chart, .sr-only, .popover');
    });
    const rects = els.map((e) => e.getBoundingClientRect());
    for (let a = 0; a < els.length; a++) {
      for (let b = a + 1; b < els.length; b++) {
        if (els[a]!.contains(els[b]!) || els[b]!.contains(els[a]!)) continue;
        const A = rects[a]!;
        const B = rects[b]!;
        const ox = Math.min(A.right, B.right) - Math.max(A.left, B.left);
        const oy = Math.min(A.bottom, B.bottom) - Math.max(A.top, B.top);
        if (ox > 3 && oy > 3) out.push(`overlap: "${els[a]!.textContent!.trim().slice(0, 30)}" / "${els[b]!.textContent!.trim().slice(0, 30)}"`);
      }
    }
    // text cut off inside its own box (ellipsis is fine for labels that have a title)
    for (const e of Array.from(document.querySelectorAll<HTMLElement>('h1, h2, .btn, .tab, .segmented button, .state-title'))) {
      if (e.scrollWidth > e.clientWidth + 2 && getComputedStyle(e).overflow !== 'visible') out.push(`clipped: "${e.textContent!.trim().slice(0, 30)}"`);
    }
    return out;
  });
}

const PAGES: Array<{ name: string; route: string; q?: Record<string, string>; ready: string; setup?: (p: Page) => Promise<void> }> = [
  { name: 'overview', route: 'overview', ready: '.tile-value' },
  { name: 'heatmaps-heatmap', route: 'heatmaps', q: { path: PATH }, ready: '.overlay' },
  { name: 'heatmaps-scroll', route: 'heatmaps', q: { path: '/static/dash-scroll.html', view: 'scroll' }, ready: '.reach-table' },
  { name: 'heatmaps-elements', route: 'heatmaps', q: { path: PATH, view: 'elements' }, ready: '.el-badge' },
  { name: 'heatmaps-rage-empty', route: 'heatmaps', q: { path: PATH, kind: 'rage' }, ready: '.note' },
  {
    name: 'heatmaps-bookmarklet',
    route: 'heatmaps',
    q: { path: PATH, mode: 'bookmarklet' },
    ready: '.bookmarklet-panel',
    setup: async (p) => {
      await p.getByRole('button', { name: 'Create bookmarklet' }).click();
      await p.locator('a.bookmarklet-link').waitFor();
    },
  },
  { name: 'replays', route: 'replays', ready: '.replays-page .state-empty, .replays-table' },
  { name: 'funnels', route: 'funnels', ready: '.fbuilder' },
  { name: 'settings-install', route: 'settings', ready: '.snippet pre' },
  { name: 'settings-keys', route: 'settings', q: { tab: 'keys' }, ready: '.kv' },
  { name: 'settings-settings', route: 'settings', q: { tab: 'settings' }, ready: '.settings-form' },
  { name: 'settings-members', route: 'settings', q: { tab: 'members' }, ready: '.members-table' },
  { name: 'settings-audit', route: 'settings', q: { tab: 'audit' }, ready: '.audit-table, .settings-page .state-empty' },
  { name: 'not-found', route: 'nope', ready: '.state-title' },
  {
    name: 'overview-datepicker',
    route: 'overview',
    ready: '.tile-value',
    setup: async (p) => {
      await p.locator('.date-button').click();
      await p.locator('.date-popover').waitFor();
    },
  },
];

for (const vp of [DESKTOP, PHONE]) {
  describe(`${vp.width}×${vp.height}`, () => {
    for (const pg of PAGES) {
      test(pg.name, async () => {
        const ctx = await dashboardContext(env, vp);
        const page = await ctx.newPage();
        // a page without a snapshot answers 404 on /api/snapshot: the dashboard says so in the panel
        const errors = watchErrors(page, [/status of 404/]);
        await page.goto(app(env, pg.route, pg.q));
        await page.locator(pg.ready).first().waitFor();
        if (pg.setup) await pg.setup(page);
        await page.waitForTimeout(400);
        await shoot(page, pg.name);
        expect(await layoutProblems(page)).toEqual([]);
        expect(errors).toEqual([]);
        checked++;
        await ctx.close();
      });
    }
    test('sign-in page', async () => {
      const ctx = await env.browser.newContext({ viewport: vp });
      const page = await ctx.newPage();
      await page.goto(env.tap.origin + '/app/');
      await page.locator('.signin h1').waitFor();
      await shoot(page, 'signin');
      expect(await layoutProblems(page)).toEqual([]);
      checked++;
      await ctx.close();
    });
  });
}
