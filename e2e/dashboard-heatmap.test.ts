// Issue 4 acceptance, end to end in Chromium against the real server: a sample page with the
// snippet gets 200 scripted clicks at known positions (plus a rage burst and two dead clicks); then
// the API's tiles, the dashboard's heatmap (pixels of a screenshot), element mode, exports, the
// scroll map (scripted depths), the live-frame and bookmarklet modes are checked (the bookmarklet's
// security: e2e/dashboard-security.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  app,
  dashboardContext,
  type DashEnv,
  DESKTOP,
  figure,
  postSnapshot,
  readApi,
  shoot,
  SHOTS,
  sitePage,
  startDashboardEnv,
  watchErrors,
} from './lib/dashboard';
import { decodePng, pixel } from './lib/png';

const PATH = '/static/dash-heat.html';
const SCROLL_PATH = '/static/dash-scroll.html';
// page views of its 4000 px in an 800 px viewport, each scrolled to this depth (% of the page)
const SCROLL_DEPTHS = [20, 20, 45, 45, 45, 70, 70, 70, 100, 100];

interface Target {
  sel: string;
  n: number;
  box: { x: number; y: number; w: number; h: number }; // page CSS px, from dash-heat.html
  rows: number[];
  cols: number[];
}
const steps = (from: number, to: number, step: number) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
// Spots inside each element at least 35 px apart: the SDK drops a second click within 30 px and
// 500 ms (double click) and flags the third within 1 s (rage), so a spot is reused only after 1.1 s.
const TARGETS: Target[] = [
  { sel: '#cta', n: 90, box: { x: 440, y: 330, w: 400, h: 110 }, cols: steps(20, 380, 36), rows: [20, 55, 90] },
  { sel: '#plan-pro', n: 50, box: { x: 700, y: 1400, w: 360, h: 100 }, cols: steps(20, 340, 36), rows: [20, 55, 85] },
  { sel: '#nav-docs', n: 40, box: { x: 900, y: 12, w: 140, h: 40 }, cols: [10, 50, 90, 130], rows: [20] },
  { sel: '#promo', n: 20, box: { x: 40, y: 90, w: 300, h: 70 }, cols: steps(15, 285, 36), rows: [18, 54] },
];

interface Click {
  sel: string;
  px: number;
  py: number;
}

let env: DashEnv;
let dash: BrowserContext;
let doc = { w: 0, h: 0 };
const clicks: Click[] = [];
const expected = new Map<string, number>();

beforeAll(async () => {
  env = await startDashboardEnv();
  const site = await env.browser.newContext({ viewport: { width: 1280, height: 1600 } });
  // The version of the page the heatmap is drawn over: the promo banner is gone (?v=2). Posted
  // first: the server keeps a page's first snapshot for an hour, so the SDK's capture of the
  // version clicked below does not replace it.
  const v2 = await sitePage(env, site, PATH + '?v=2');
  await postSnapshot(env, v2);
  await v2.close();

  const page = await sitePage(env, site, PATH);
  doc = await page.evaluate(() => {
    const se = document.scrollingElement || document.documentElement;
    return { w: se.scrollWidth, h: se.scrollHeight };
  });
  // 200 clicks, interleaved across the targets in proportion, each at a spot not used for 1.1 s
  const order: Target[] = [];
  const left = new Map(TARGETS.map((t) => [t.sel, t.n]));
  for (let k = 0; k < 200; k++) {
    const t = TARGETS.reduce((best, c) => ((left.get(c.sel)! / c.n > left.get(best.sel)! / best.n) ? c : best));
    left.set(t.sel, left.get(t.sel)! - 1);
    order.push(t);
  }
  const lastUse = new Map<string, number>();
  const used = new Map<string, number>();
  for (const t of order) {
    const k = used.get(t.sel) ?? 0;
    used.set(t.sel, k + 1);
    const spots = t.cols.flatMap((c) => t.rows.map((r) => [c, r] as const));
    const [cx, cy] = spots[k % spots.length]!;
    const key = `${t.sel}:${cx}:${cy}`;
    const wait = (lastUse.get(key) ?? 0) + 1100 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    lastUse.set(key, Date.now());
    const px = t.box.x + cx;
    const py = t.box.y + cy;
    await page.mouse.click(px, py);
    clicks.push({ sel: t.sel, px, py });
    await page.waitForTimeout(30);
  }
  // a rage burst on #plan-pro (one normal click, one flagged rage; the rest of the burst is dropped)
  await page.waitForTimeout(1200);
  for (let r = 0; r < 4; r++) await page.mouse.click(700 + 180, 1400 + 50);
  clicks.push({ sel: '#plan-pro', px: 880, py: 1450 }, { sel: '#plan-pro', px: 880, py: 1450 });
  // two dead clicks: nothing changes for 2.5 s after them
  await page.waitForTimeout(1200);
  await page.mouse.click(150, 1150);
  await page.mouse.click(330, 1190);
  clicks.push({ sel: '#dead-zone', px: 150, py: 1150 }, { sel: '#dead-zone', px: 330, py: 1190 });
  await page.waitForTimeout(3200);
  await page.evaluate(() => (window as any).tapistry('flush'));
  await page.close();
  for (const c of clicks) {
    const key = `${Math.min(63, Math.floor((c.px / doc.w) * 64))},${Math.min(63, Math.floor((c.py / doc.h) * 64))}`;
    expected.set(key, (expected.get(key) ?? 0) + 1);
  }

  // scroll map: 10 page views of a 4000 px page in an 800 px viewport, to scripted depths
  const sc = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const sp = await sc.newPage();
  for (const [n, depth] of SCROLL_DEPTHS.entries()) {
    // a distinct address each time, so no view can inherit the previous one's scroll offset (a
    // navigation to the current URL may be handled like a reload, which restores it)
    await sp.goto(`${env.site}${SCROLL_PATH}?view=${n}`);
    await sp.waitForFunction(() => (window as any).tapistry?.loaded === true);
    if (depth > 20) {
      await sp.evaluate((y) => window.scrollTo(0, y), (depth / 100) * 4000 - 800);
      await sp.waitForTimeout(350);
    }
    if (n === 0) await postSnapshot(env, sp);
  }
  // the last view ends here (pagehide beacon); its context stays open until the server has it
  await sp.goto('about:blank');

  // wait until everything is stored
  const end = Date.now() + 20000;
  for (;;) {
    const h = await readApi<{ total: number }>(env, '/api/heatmap', { path: PATH });
    const s = await readApi<{ views: number }>(env, '/api/scrollmap', { path: SCROLL_PATH });
    if (h.body.total >= clicks.length && s.body.views >= 10) break;
    if (Date.now() > end) throw new Error(`after 20 s the server has ${h.body.total} of ${clicks.length} clicks and ${s.body.views} of 10 scroll views`);
    await new Promise((r) => setTimeout(r, 300));
  }
  await sc.close();
  await site.close();
  dash = await dashboardContext(env, DESKTOP);
}, 180000);

afterAll(async () => {
  await env?.stop();
});

async function openHeatmaps(q: Record<string, string>): Promise<{ page: Page; errors: string[] }> {
  const page = await dash.newPage();
  const errors = watchErrors(page);
  await page.goto(app(env, 'heatmaps', q));
  return { page, errors };
}

describe('API', () => {
  test('tiles: hot where the clicks were, 204 clicks in all, rage and dead flagged', async () => {
    const h = await readApi<{ grid: number; tiles: Array<{ i: number; j: number; count: number }>; total: number }>(env, '/api/heatmap', { path: PATH });
    expect(h.status).toBe(200);
    expect(h.body.grid).toBe(64);
    expect(h.body.total).toBe(clicks.length);
    let diff = 0;
    const got = new Map(h.body.tiles.map((t) => [`${t.i},${t.j}`, t.count]));
    for (const k of new Set([...expected.keys(), ...got.keys()])) diff += Math.abs((expected.get(k) ?? 0) - (got.get(k) ?? 0));
    // a click within a pixel of a tile edge may fall on either side
    expect(diff).toBeLessThanOrEqual(6);
    // the hottest tile is the one the script clicked most
    const top = [...h.body.tiles].sort((a, b) => b.count - a.count)[0]!;
    const most = Math.max(...expected.values());
    expect(expected.get(`${top.i},${top.j}`) ?? 0).toBeGreaterThanOrEqual(most - 1);
    const rage = await readApi<{ total: number }>(env, '/api/heatmap', { path: PATH, kind: 'rage' });
    expect(rage.body.total).toBe(1);
    const dead = await readApi<{ total: number }>(env, '/api/heatmap', { path: PATH, kind: 'dead' });
    expect(dead.body.total).toBe(2);
    figure(
      'heatmap API',
      `${h.body.total} clicks stored of ${clicks.length} scripted over ${got.size} tiles; tile counts off the script's by ${diff} in all (edge clicks); ` +
        `hottest tile ${top.i},${top.j} = ${top.count} (script: ${expected.get(`${top.i},${top.j}`) ?? 0}, most ${most}); rage ${rage.body.total}, dead ${dead.body.total}`,
    );
  });

  test('each scripted view stored its depth: one scroll event per view, in order', async () => {
    const ev = await readApi<{ events: Array<{ path: string; ts: number; props?: { max_depth_pct?: number } }> }>(env, '/api/events', { type: 'scroll', limit: '1000' });
    const views = ev.body.events.filter((e) => e.path === SCROLL_PATH).sort((a, b) => a.ts - b.ts);
    expect(views.map((e) => e.props?.max_depth_pct)).toEqual(SCROLL_DEPTHS);
  });

  test('scroll reach within ±5 points of the scripted depths', async () => {
    const s = await readApi<{ views: number; reach: Array<{ depth_pct: number; pct: number }> }>(env, '/api/scrollmap', { path: SCROLL_PATH });
    expect(s.body.views).toBe(10);
    const at = (d: number) => s.body.reach.find((r) => r.depth_pct === d)!.pct;
    expect(Math.abs(at(10) - 100)).toBeLessThanOrEqual(5);
    expect(Math.abs(at(30) - 80)).toBeLessThanOrEqual(5);
    expect(Math.abs(at(60) - 50)).toBeLessThanOrEqual(5);
    expect(Math.abs(at(85) - 20)).toBeLessThanOrEqual(5);
    figure('scroll map API', `${s.body.views} views; reach at 10/30/60/85 % = ${[10, 30, 60, 85].map(at).join(' / ')} % (script: 100 / 80 / 50 / 20)`);
  });

  test('average fold = the views\' viewport height', async () => {
    const s = await readApi<{ avg_fold_px: number | null }>(env, '/api/scrollmap', { path: SCROLL_PATH });
    expect(s.body.avg_fold_px).toBe(800); // every scripted view ran in a 1280×800 viewport
  });
});

describe('dashboard', () => {
  test('heatmap over the snapshot: hot pixels on the clicked button, page untouched where nobody clicked', async () => {
    const { page, errors } = await openHeatmaps({ path: PATH });
    await page.locator('.stage-status', { hasText: `${clicks.length} clicks` }).waitFor();
    const overlay = page.locator('.overlay');
    await overlay.waitFor();
    await page.waitForTimeout(300);
    await shoot(page, 'heatmaps-clicks');
    const box = (await overlay.boundingBox())!;
    const scale = box.width / doc.w;
    // Clicks are drawn on their elements at their positions inside them: the hottest place is the
    // scripted spot clicked most often (on an element the drawn version of the page still has).
    const spots = new Map<string, number>();
    for (const c of clicks) if (c.sel !== '#promo') spots.set(`${c.px},${c.py}`, (spots.get(`${c.px},${c.py}`) ?? 0) + 1);
    const top = [...spots.entries()].sort((a, b) => b[1] - a[1])[0]![0].split(',').map(Number) as [number, number];
    const hot = { x: box.x + top[0] * scale, y: box.y + top[1] * scale };
    const cold = { x: box.x + 1200 * scale, y: box.y + 900 * scale }; // white page, no click within 300 px
    await page.evaluate((y) => window.scrollTo(0, y), Math.max(0, hot.y - 300));
    const sy = await page.evaluate(() => window.scrollY);
    const shot = decodePng(await page.screenshot());
    const [r, g, b] = pixel(shot, hot.x, hot.y - sy);
    expect(r, `hot pixel rgb(${r},${g},${b})`).toBeGreaterThanOrEqual(200);
    expect(b, `hot pixel rgb(${r},${g},${b})`).toBeLessThanOrEqual(110);
    await page.evaluate((y) => window.scrollTo(0, y), Math.max(0, cold.y - 300));
    const sy2 = await page.evaluate(() => window.scrollY);
    const shot2 = decodePng(await page.screenshot());
    const c = pixel(shot2, cold.x, cold.y - sy2);
    expect(Math.min(c[0], c[1], c[2]), `cold pixel rgb(${c.slice(0, 3)})`).toBeGreaterThanOrEqual(235);
    figure('heatmap screenshot', `the most clicked scripted spot (${top.join(', ')}) paints rgb(${r},${g},${b}); a spot nobody clicked stays rgb(${c.slice(0, 3).join(',')})`);
    // the cursor tooltip reads the clicks under the pointer (a hit-checked hover, placed on the
    // overlay as it is laid out now)
    const now = (await overlay.boundingBox())!;
    await overlay.hover({ position: { x: top[0] * (now.width / doc.w), y: top[1] * (now.width / doc.w) } });
    await expect.poll(() => page.locator('.cursor-tip .tip-count').textContent()).toMatch(/^\d+ clicks? here$/);
    // over one of the top elements the tooltip also names it, with the element's own count
    const cta = await page.evaluate(() => {
      const f = document.querySelector('iframe.page-frame') as HTMLIFrameElement;
      const r = f.contentDocument!.querySelector('#cta')!.getBoundingClientRect();
      const k = Number((document.querySelector('.overlay') as HTMLElement).dataset.scale);
      return { x: (r.x + r.width / 2) * k, y: (r.y + r.height / 2) * k };
    });
    await overlay.hover({ position: cta });
    await expect.poll(() => page.locator('.cursor-tip .tip-el').textContent()).toBe('on button “Start free trial” · 90 clicks (44.1%)');
    await page.screenshot({ path: join(SHOTS, 'heatmaps-tooltip-1440x900.png') }); // as the user sees it, scrolled
    expect(await page.locator('.cursor-tip .tip-count').textContent()).toMatch(/^\d+ clicks? here$/);
    // over blank page: no element line
    await overlay.hover({ position: { x: 1200 * scale, y: 900 * scale } });
    await expect.poll(() => page.locator('.cursor-tip .tip-count').textContent()).toBe('No clicks here');
    expect(await page.locator('.cursor-tip .tip-el').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('scale: log by default (the busiest tile at full colour), linear to the 99th percentile on request, kept in the URL', async () => {
    const { page, errors } = await openHeatmaps({ path: PATH });
    await page.locator('.overlay').waitFor();
    const most = Math.max(...expected.values());
    const top = page.locator('.legend-scale span').last();
    await expect.poll(() => top.textContent()).toBe(`${most} clicks · log`);
    expect(await page.locator('.legend').getAttribute('data-scale-mode')).toBe('log');
    await page.getByLabel('Scale').selectOption('p99');
    await expect.poll(() => new URL(page.url()).searchParams.get('scale')).toBe('p99');
    await expect.poll(() => top.textContent()).toMatch(/^\d+\+ clicks$/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('element mode: badges on the clicked elements, removed elements counted and listed', async () => {
    const { page, errors } = await openHeatmaps({ path: PATH, view: 'elements' });
    await page.locator('.el-badge').first().waitFor();
    await page.waitForTimeout(300);
    await shoot(page, 'heatmaps-elements');
    const rows = await page.locator('.el-row').evaluateAll((els) => els.map((e) => [e.getAttribute('data-selector'), Number(e.getAttribute('data-clicks'))]));
    const bySel = new Map(rows as Array<[string, number]>);
    expect(bySel.get('#cta')).toBe(90);
    expect(bySel.get('#plan-pro')).toBe(52);
    expect(bySel.get('#nav-docs')).toBe(40);
    expect(bySel.get('#promo')).toBe(20);
    expect(bySel.get('#dead-zone')).toBe(2);
    figure('element mode', rows.map(([s, n]) => `${s} ${n}`).join(', '));
    // #promo is not in this version of the page: counted, listed, not silently dropped
    const box = page.locator('.unplaced-box');
    await expect.poll(() => box.getAttribute('data-unplaced-clicks')).toBe('20');
    expect(await box.locator('li[data-selector="#promo"]').count()).toBe(1);
    // each badge sits on its element as laid out in the snapshot
    for (const sel of ['#cta', '#plan-pro', '#nav-docs']) {
      const r = await page.evaluate((s) => {
        const f = document.querySelector('iframe.page-frame') as HTMLIFrameElement;
        const el = f.contentDocument!.querySelector(s)!.getBoundingClientRect();
        const ov = document.querySelector('.overlay') as HTMLElement;
        const k = Number(ov.dataset.scale);
        const o = ov.getBoundingClientRect();
        const hash = document.querySelector(`.el-box[data-selector="${s}"]`)!.getAttribute('data-hash');
        const b = document.querySelector(`.el-badge[data-hash="${hash}"]`)!.getBoundingClientRect();
        return { el: { x: o.x + el.x * k, y: o.y + el.y * k, w: el.width * k, h: el.height * k }, badge: { x: b.x, y: b.y, w: b.width, h: b.height } };
      }, sel);
      const cx = r.badge.x + r.badge.w / 2;
      const cy = r.badge.y + r.badge.h / 2;
      expect(Math.abs(cx - (r.el.x + r.el.w)), `${sel} badge x`).toBeLessThanOrEqual(r.badge.w);
      expect(Math.abs(cy - r.el.y), `${sel} badge y`).toBeLessThanOrEqual(r.badge.h);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  test('exports: tiles CSV, element JSON, PNG of the heatmap', async () => {
    const { page } = await openHeatmaps({ path: PATH });
    await page.locator('.overlay').waitFor();
    await page.locator('.stage-status', { hasText: `${clicks.length} clicks` }).waitFor();
    const get = async (label: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: label }).click()]);
      return { name: d.suggestedFilename(), body: readFileSync((await d.path())!) };
    };
    const csv = await get('Tiles CSV');
    expect(csv.name).toMatch(/^tiles-clicks-static-dash-heat-html-.*\.csv$/);
    const lines = csv.body.toString().trim().split('\n');
    expect(lines[0]).toBe('i,j,count');
    expect(lines.slice(1).reduce((a, l) => a + Number(l.split(',')[2]), 0)).toBe(clicks.length);
    const json = JSON.parse((await get('Elements JSON')).body.toString());
    expect(json.path).toBe(PATH);
    expect(json.elements.find((e: { selector: string }) => e.selector === '#cta').clicks).toBe(90);
    const png = await get('PNG');
    const img = decodePng(png.body);
    expect(img.width).toBeGreaterThanOrEqual(1000);
    let red = 0;
    for (let p = 0; p < img.data.length; p += 4) if (img.data[p]! > 200 && img.data[p + 2]! < 90 && img.data[p + 1]! < 200) red++;
    // the page itself has no such red: these are the heat layer's hotspots
    expect(red).toBeGreaterThan(50);
    await page.close();
  });

  test('scroll map: reach within ±5 points of the scripted depths, hover readout', async () => {
    const { page, errors } = await openHeatmaps({ path: SCROLL_PATH, view: 'scroll' });
    await page.locator('.reach-table').waitFor();
    const reach = new Map(
      (await page.locator('.reach-table tr[data-depth]').evaluateAll((rs) => rs.map((r) => [Number(r.getAttribute('data-depth')), Number(r.getAttribute('data-reach'))]))) as Array<[number, number]>,
    );
    expect(Math.abs(reach.get(10)! - 100)).toBeLessThanOrEqual(5);
    expect(Math.abs(reach.get(25)! - 80)).toBeLessThanOrEqual(5);
    expect(Math.abs(reach.get(50)! - 50)).toBeLessThanOrEqual(5);
    expect(Math.abs(reach.get(90)! - 20)).toBeLessThanOrEqual(5);
    figure('scroll map UI', `reach at 10/25/50/90 % = ${[10, 25, 50, 90].map((d) => reach.get(d)).join(' / ')} % (script: 100 / 80 / 50 / 20)`);
    const overlay = page.locator('.overlay');
    await overlay.waitFor({ timeout: 15000 });
    await shoot(page, 'heatmaps-scroll-scripted');
    // hover at 60 % of the page: Playwright scrolls that point into view and checks the overlay is
    // what the pointer hits there; two moves, so a move landing before a re-render is repeated.
    // The overlay is measured on every try (the snapshot frame may still be settling); a failure
    // says what the pointer hit.
    const tipEl = page.locator('.cursor-tip');
    let tip = '';
    let last = '';
    for (const end = Date.now() + 20000; !tip && Date.now() < end; ) {
      try {
        const b = (await overlay.boundingBox())!;
        await overlay.hover({ position: { x: b.width / 2 + 5, y: b.height * 0.6 + 1 }, timeout: 5000 });
        await overlay.hover({ position: { x: b.width / 2, y: b.height * 0.6 }, timeout: 5000 });
        tip = (await tipEl.textContent({ timeout: 1000 })) ?? '';
      } catch (e) {
        last = String(e).split('\n').slice(0, 4).join(' | ');
      }
    }
    if (!tip) {
      const state = await page.evaluate(() => {
        const ov = document.querySelector('.overlay');
        const r = ov?.getBoundingClientRect();
        const hit = r && document.elementFromPoint(r.x + r.width / 2, Math.min(innerHeight - 1, r.y + r.height * 0.6));
        return { overlays: document.querySelectorAll('.overlay').length, live: !!document.querySelector('.overlay-clip'), rect: r && [r.x, r.y, r.width, r.height].map(Math.round), scrollY, hit: hit ? `${hit.tagName}.${hit.className}` : null };
      });
      throw new Error(`no hover readout on the scroll map: ${JSON.stringify(state)}; last error: ${last}`);
    }
    const m = /^([\d.]+)% scrolled this far$/.exec(tip);
    expect(m, tip).not.toBeNull();
    expect(Math.abs(Number(m![1]) - 50)).toBeLessThanOrEqual(5);
    expect(await page.locator('.scroll-line[data-level="100"]').count()).toBe(1);
    expect(await page.locator('.scroll-line[data-level="50"]').count()).toBe(1);
    // the average fold: 800 px down a 4000 px page
    const fold = page.locator('.scroll-line.fold');
    expect(await fold.getAttribute('data-fold-average')).toBe('true');
    expect(await fold.getAttribute('data-fold-px')).toBe('800');
    expect(Math.abs(Number(await fold.getAttribute('data-fold')) - 20)).toBeLessThanOrEqual(1);
    expect(await fold.textContent()).toContain('Average fold · 800 px');
    expect(errors).toEqual([]);
    await page.close();
  });

  // After the snapshot tests: the framed page's own SDK may send a snapshot of PATH (the dashboard's
  // context has no record of one), which would replace the ?v=2 version they are drawn over.
  test('live mode: the framed page\'s snippet answers the handshake; the overlay sits on the page and follows its scroll', async () => {
    const viewsBefore = (await readApi<{ pageviews: number }>(env, '/api/heatmap', { path: PATH })).body.pageviews;
    const { page, errors } = await openHeatmaps({ path: PATH, mode: 'live' });
    const clip = page.locator('.overlay-clip');
    await clip.waitFor({ timeout: 12000 });
    await shoot(page, 'heatmaps-live');
    expect(await page.getByText('Your site blocks embedding').count()).toBe(0);
    const iframe = page.locator('iframe.page-frame');
    const f = (await (await iframe.elementHandle())!.contentFrame())!;
    expect(f.url()).toBe(env.site + PATH);
    // the handshake code came from the Tapistry server, loaded because the page is framed
    const chunks = await f.evaluate(() => Array.from(document.scripts, (s) => s.src).filter((s) => /\/v1\/frame\.js$/.test(s)));
    expect(chunks).toEqual([env.tap.origin + '/v1/frame.js']);
    const geo = await f.evaluate(() => {
      const se = document.scrollingElement || document.documentElement;
      return { w: se.scrollWidth, h: se.scrollHeight, vw: innerWidth, vh: innerHeight };
    });
    const ov = page.locator('.overlay');
    expect(Number(await ov.getAttribute('data-doc-w'))).toBe(geo.w);
    expect(Number(await ov.getAttribute('data-doc-h'))).toBe(geo.h);
    const k = Number(await ov.getAttribute('data-scale'));
    expect(k).toBeGreaterThan(0);
    // aligned: the overlay's origin is the page's, scaled like the frame, minus the page's scroll
    const at = async () => {
      const [fb, ob, cb] = await Promise.all([iframe.boundingBox(), ov.boundingBox(), clip.boundingBox()]);
      return { fb: fb!, ob: ob!, cb: cb! };
    };
    let b = await at();
    expect(Math.abs(b.cb.x - b.fb.x)).toBeLessThanOrEqual(1);
    expect(Math.abs(b.cb.y - b.fb.y)).toBeLessThanOrEqual(1);
    expect(Math.abs(b.cb.width - geo.vw * k)).toBeLessThanOrEqual(1);
    expect(Math.abs(b.cb.height - geo.vh * k)).toBeLessThanOrEqual(1);
    expect(Math.abs(b.ob.width - geo.w * k)).toBeLessThanOrEqual(1);
    expect(Math.abs(b.ob.y - b.fb.y)).toBeLessThanOrEqual(1);
    // scrolling the page moves the overlay with it (scroll messages, one per frame)
    await f.evaluate(() => window.scrollTo(0, 700));
    const sy = await f.evaluate(() => window.scrollY);
    expect(sy).toBeGreaterThan(0);
    await expect.poll(async () => Math.round((await ov.boundingBox())!.y - (await iframe.boundingBox())!.y), { timeout: 5000 }).toBe(Math.round(-sy * k));
    await f.evaluate(() => window.scrollTo(0, 0));
    await expect.poll(async () => Math.round((await ov.boundingBox())!.y - (await iframe.boundingBox())!.y), { timeout: 5000 }).toBe(0);
    b = await at();
    expect(Math.abs(b.ob.x - b.fb.x)).toBeLessThanOrEqual(1);
    // the person looking at the heatmap is not a visitor: the snippet in the named frame collects nothing
    expect(await f.evaluate(() => window.name)).toBe('tapistry-live');
    expect(errors).toEqual([]);
    await page.close();
    await new Promise((r) => setTimeout(r, 1500)); // a page_view would have been beaconed at close
    expect((await readApi<{ pageviews: number }>(env, '/api/heatmap', { path: PATH })).body.pageviews).toBe(viewsBefore);
  });

  test('live mode, a site that forbids framing (X-Frame-Options: DENY): after 7.5 s it says so and offers the other modes', async () => {
    const DENY = '/static/deny/dash-heat.html';
    const r = await fetch(env.site + DENY);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    // a snapshot of it, so "Use snapshot" has something to show
    const site = await env.browser.newContext({ viewport: { width: 1280, height: 1600 } });
    await postSnapshot(env, await sitePage(env, site, DENY));
    await site.close();
    const { page } = await openHeatmaps({ path: DENY, mode: 'live' });
    await page.getByText('Your site blocks embedding').waitFor({ timeout: 12000 });
    expect(await page.locator('.overlay-clip').count()).toBe(0);
    await shoot(page, 'heatmaps-live-blocked');
    await page.getByRole('button', { name: 'Use snapshot' }).click();
    await page.locator('iframe.page-frame[srcdoc]').waitFor();
    expect(page.url()).not.toContain('mode=live');
    await page.close();
  });

  test('bookmarklet: a 15-minute token, and the same heatmap drawn over the live page through the overlay frame', async () => {
    const { page, errors } = await openHeatmaps({ path: PATH, mode: 'bookmarklet' });
    await page.getByRole('button', { name: 'Create bookmarklet' }).click();
    const link = page.locator('a.bookmarklet-link');
    await expect.poll(() => link.getAttribute('href')).toMatch(/^javascript:/);
    await shoot(page, 'heatmaps-bookmarklet');
    const code = (await link.getAttribute('href'))!;
    expect(code.startsWith('javascript:')).toBe(true);
    expect(code).not.toContain('__tapistryBookmarklet');
    const expires = Number(await page.locator('[data-expires]').getAttribute('data-expires'));
    expect(expires - Date.now()).toBeGreaterThan(13 * 60000);
    expect(expires - Date.now()).toBeLessThanOrEqual(15 * 60000 + 5000);
    expect(errors).toEqual([]);
    await page.close();

    // run it on the customer's page, as clicking the bookmark would
    const site = await env.browser.newContext({ viewport: { width: 1280, height: 1600 } });
    const apiFrames: string[] = [];
    site.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) apiFrames.push(r.frame().url());
    });
    const sp = await sitePage(env, site, PATH);
    await sp.evaluate((js) => (0, eval)(decodeURIComponent(js.slice('javascript:'.length))), code);
    const host = sp.locator('#__tapistry_overlay');
    await host.waitFor({ state: 'attached' });
    await expect.poll(() => sp.evaluate(() => document.getElementById('__tapistry_overlay')!.shadowRoot!.querySelector('.bar')!.textContent), { timeout: 10000 }).toContain(`${clicks.length} clicks`);
    await sp.waitForTimeout(300);
    const shot = decodePng(await sp.screenshot({ path: join(SHOTS, 'bookmarklet-on-site-1280x1600.png') }));
    // every tile with 3+ clicks outside the toolbar is coloured; a tile nobody clicked is not
    const hotTiles = [...expected.entries()]
      .filter(([, n]) => n >= 3)
      .map(([k]) => k.split(',').map(Number) as [number, number])
      .map(([i, j]) => ({ x: ((i + 0.5) / 64) * doc.w, y: ((j + 0.5) / 64) * doc.h }))
      .filter((p) => p.y > 80);
    expect(hotTiles.length).toBeGreaterThan(10);
    // the page holds no token and calls no API: its overlay frame on the server does
    expect(await sp.evaluate(() => '__tapistryBookmarklet' in window)).toBe(false);
    expect(apiFrames.length).toBeGreaterThanOrEqual(2);
    expect(new Set(apiFrames)).toEqual(new Set([env.tap.origin + '/app/overlay-frame.html']));
    await sp.keyboard.press('Escape');
    expect(await host.count()).toBe(0);
    const clean = decodePng(await sp.screenshot());
    const dist = (p: { x: number; y: number }) => {
      const a = pixel(shot, p.x, p.y);
      const b = pixel(clean, p.x, p.y);
      return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
    };
    for (const p of hotTiles) expect(dist(p), `tile at ${p.x},${p.y}`).toBeGreaterThan(60);
    expect(dist({ x: 1200, y: 900 })).toBe(0);
    await site.close();
  });
});
