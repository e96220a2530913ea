// A static multi-page site with the SRI snippet: clicks arrive with x,y within 1 px of their
// document position, scroll depth within ±2 points, one page_view per page with prev_path.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { anonymousId, flush, launch, newPage, stored, waitStored } from './lib/browser';

const env = inject('e2e');
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

test('the server publishes an SRI hash that matches the /v1.js it serves', () => {
  expect(env.sri).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/);
  expect(env.servedSriMatches).toBe(true);
});

test('static site: clicks within 1 px, scroll depth within 2 points, page views with prev_path', async () => {
  const { context, page } = await newPage(browser);
  await page.goto(env.site + '/static/');
  await page.waitForFunction(() => (window as any).tapistry?.loaded === true);
  const anon = await anonymousId(context);

  const clicks: Array<{ sel: string; px: number; py: number; w: number; h: number }> = [];
  let maxDepth = 0;
  for (const [sel, scrollY] of [['#b1', 0], ['#b2', 1500], ['#b3', 3100]] as const) {
    await page.evaluate((y) => window.scrollTo(0, y), scrollY);
    await page.waitForTimeout(250);
    const box = (await page.locator(sel).boundingBox())!;
    const m = await page.evaluate(() => ({
      sx: window.scrollX,
      sy: window.scrollY,
      w: document.documentElement.scrollWidth,
      h: document.documentElement.scrollHeight,
      depth: ((window.scrollY + window.innerHeight) / document.documentElement.scrollHeight) * 100,
    }));
    maxDepth = Math.max(maxDepth, m.depth);
    const cx = box.x + box.width * 0.25;
    const cy = box.y + box.height * 0.75;
    await page.mouse.click(cx, cy);
    clicks.push({ sel, px: cx + m.sx, py: cy + m.sy, w: m.w, h: m.h });
  }
  await page.evaluate(() => window.scrollTo(0, 1234));
  await page.waitForTimeout(300);
  await page.click('#next'); // leaves the page: pagehide sends the rest by sendBeacon
  await page.waitForURL('**/page2.html');
  await page.waitForFunction(() => (window as any).tapistry?.loaded === true);
  await flush(page);

  const stClicks = await waitStored(env, anon, 'click', 4);
  for (const c of clicks) {
    const e = stClicks.find((s) => s.selector === c.sel);
    expect(e, c.sel).toBeDefined();
    expect(Math.abs(e!.x! * c.w - c.px), `${c.sel} x`).toBeLessThanOrEqual(1);
    expect(Math.abs(e!.y! * c.h - c.py), `${c.sel} y`).toBeLessThanOrEqual(1);
    expect(e!.ex).toBeCloseTo(0.25, 1);
    expect(e!.ey).toBeCloseTo(0.75, 1);
    expect(e!.props).toMatchObject({ button: 0 });
  }

  const views = await waitStored(env, anon, 'page_view', 2);
  expect(views.map((v) => v.path)).toEqual(['/static', '/static/page2.html']);
  expect(views[1]!.props).toMatchObject({ prev_path: '/static' });

  const scrolls = (await waitStored(env, anon, 'scroll', 1)).filter((s) => s.path === '/static');
  expect(scrolls).toHaveLength(1);
  expect(Math.abs((scrolls[0]!.props!.max_depth_pct as number) - maxDepth)).toBeLessThanOrEqual(2);
  const milestones = (await stored(env, anon, 'scroll_milestone')).filter((s) => s.path === '/static');
  // milestones passed by one scroll share a timestamp: compare as a set
  expect(milestones.map((m) => m.props!.depth as number).sort((a, b) => a - b)).toEqual([25, 50, 75, 90, 100].filter((d) => d <= maxDepth));
  await context.close();
});

test('the ES module build (/v1.mjs) boots from its script tag and posts to its own origin', async () => {
  const { context, page } = await newPage(browser);
  await page.goto(env.site + '/static/esm.html');
  await page.waitForFunction(() => (window as any).tapistry?.loaded === true);
  const anon = await anonymousId(context);
  await page.click('#go');
  await page.waitForTimeout(200);
  await flush(page);
  const views = await waitStored(env, anon, 'page_view', 1);
  expect(views.map((v) => v.path)).toEqual(['/static/esm.html']);
  await context.close();
});
