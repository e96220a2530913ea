// Issue 13 acceptance, end to end in Chromium against the real server: a page with a sticky header
// and a centred layout that reflows on phones (e2e/sites/static/truth.html) gets scripted clicks at
// 1440×900 and at 390×844 (an iPhone), some after scrolling, some on the sticky nav. Then, for each
// layout, the dashboard's heatmap over the snapshot taken at that layout is screenshotted and the
// hottest pixel around each button is found by inverting the palette; it must lie inside the
// button's box in the snapshot (the distance from the mean click point is reported). No phone tap
// may be drawn on the desktop picture, and switching layouts back and forth must give the pixels
// loading the URL gives.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLASSIC, lut } from '../dashboard/src/lib/heat';
import { PHONE_UA } from './lib/browser';
import { app, dashboardContext, type DashEnv, DESKTOP, figure, PHONE, readApi, shoot, sitePage, startDashboardEnv, watchErrors } from './lib/dashboard';
import { decodePng, type Image } from './lib/png';

const PATH = '/static/truth.html';
const OPACITY = 0.8;

interface Plan {
  sel: string;
  /** Scroll the page this far before clicking (px); undefined: scroll the button into the middle. */
  scroll?: number;
  sticky?: boolean;
}
interface Layout {
  name: string;
  viewport: { width: number; height: number };
  device: string;
  vw: string;
  phone: boolean;
  plans: Plan[];
}
const LAYOUTS: Layout[] = [
  {
    name: 'desktop',
    viewport: DESKTOP,
    device: 'desktop',
    vw: '1440+',
    phone: false,
    plans: [{ sel: '#trial', scroll: 0 }, { sel: '#plan-pro' }, { sel: '#nav-pricing', scroll: 1900, sticky: true }],
  },
  {
    name: 'phone',
    viewport: PHONE,
    device: 'mobile',
    vw: '0-479',
    phone: true,
    plans: [{ sel: '#trial', scroll: 0 }, { sel: '#plan-team' }, { sel: '#menu', scroll: 1500, sticky: true }],
  },
];
// Where inside a button the script clicks (fractions of its box). Each button is revisited only
// after the other two (≥ 1.1 s), so the SDK's double-click and rage rules never drop one.
const SPOTS: Array<[number, number]> = [
  [0.3, 0.35],
  [0.5, 0.5],
  [0.7, 0.65],
  [0.35, 0.65],
  [0.65, 0.35],
];

interface Done {
  sel: string;
  fx: number;
  fy: number;
  /** document fraction of the click as the page was laid out (what a tile heatmap would use) */
  dx: number;
  dy: number;
}

let env: DashEnv;
let dash: BrowserContext;
const done = new Map<string, Done[]>();

async function clickLayout(l: Layout): Promise<Done[]> {
  const site = await env.browser.newContext({
    viewport: l.viewport,
    ...(l.phone ? { userAgent: PHONE_UA, isMobile: true, hasTouch: true, deviceScaleFactor: 1 } : {}),
  });
  const page = await sitePage(env, site, PATH);
  const out: Done[] = [];
  for (const [fx, fy] of SPOTS) {
    for (const p of l.plans) {
      await page.evaluate(
        ([sel, y]) => {
          if (y === null) document.querySelector(sel!)!.scrollIntoView({ block: 'center' });
          else window.scrollTo(0, y as number);
        },
        [p.sel, p.scroll ?? null] as const,
      );
      await page.waitForTimeout(60);
      const r = await page.evaluate((sel) => {
        const b = document.querySelector(sel)!.getBoundingClientRect();
        const se = document.scrollingElement || document.documentElement;
        return { x: b.left, y: b.top, w: b.width, h: b.height, sx: scrollX, sy: scrollY, dw: se.scrollWidth, dh: se.scrollHeight };
      }, p.sel);
      const vx = r.x + fx * r.w;
      const vy = r.y + fy * r.h;
      await page.mouse.click(vx, vy);
      out.push({ sel: p.sel, fx, fy, dx: (vx + r.sx) / r.dw, dy: (vy + r.sy) / r.dh });
      await page.waitForTimeout(380);
    }
  }
  await page.evaluate(() => (window as any).tapistry('flush'));
  await page.waitForTimeout(300);
  await page.close();
  await site.close();
  return out;
}

/** GET /api/heatmap/elements for a layout (all clicks). */
function elementHeat(l: Layout) {
  return readApi<{ total: number; attributed: number; elements: Array<{ selector: string; count: number }> }>(env, '/api/heatmap/elements', {
    path: PATH,
    device: l.device,
    vw: l.vw,
  });
}

/** Polls `ok` every 250 ms for up to 20 s (expect.poll is for tests, not hooks). */
async function until(ok: () => Promise<boolean>, what: string): Promise<void> {
  for (let t0 = Date.now(); Date.now() - t0 < 20000; await new Promise((r) => setTimeout(r, 250))) if (await ok()) return;
  throw new Error('timed out waiting for ' + what);
}

beforeAll(async () => {
  env = await startDashboardEnv();
  for (const l of LAYOUTS) done.set(l.name, await clickLayout(l));
  // every click stored, and the SDK's own snapshot of each layout taken
  for (const l of LAYOUTS) {
    const want = done.get(l.name)!.length;
    await until(async () => (await elementHeat(l)).body.total === want, `${want} ${l.name} clicks stored`);
    await until(async () => (await readApi(env, '/api/snapshot', { path: PATH, vw: l.vw })).status === 200, `the ${l.name} snapshot`);
  }
  dash = await dashboardContext(env, DESKTOP);
}, 120000);

afterAll(async () => {
  await dash?.close();
  await env?.stop();
});

/** The dashboard on one layout of the page, settled: snapshot drawn, heat drawn, counts shown. */
async function openLayout(l: Layout, page?: Page): Promise<{ page: Page; errors: string[] }> {
  let errors: string[] = [];
  if (!page) {
    page = await dash.newPage();
    errors = watchErrors(page);
    await page.goto(app(env, 'heatmaps', { path: PATH, device: l.device, vw: l.vw, opacity: String(OPACITY) }));
  }
  await settle(page, l);
  return { page, errors };
}

async function settle(page: Page, l: Layout): Promise<void> {
  const n = done.get(l.name)!.length;
  await page.locator('.stage-status', { hasText: `${n} clicks` }).waitFor({ timeout: 15000 });
  await page.waitForFunction(
    (w) => {
      const f = document.querySelector('iframe.page-frame') as HTMLIFrameElement | null;
      const o = document.querySelector('.overlay') as HTMLElement | null;
      return !!f && !!o && f.style.width === w + 'px' && !document.querySelector('.stage.refreshing') && f.contentDocument?.readyState === 'complete';
    },
    l.viewport.width,
    { timeout: 15000 },
  );
  await page.waitForTimeout(400);
}

/** A button's box in the snapshot (document px) and on screen (viewport px of the dashboard). */
async function boxes(page: Page, sel: string) {
  return page.evaluate((sel) => {
    const f = document.querySelector('iframe.page-frame') as HTMLIFrameElement;
    const o = document.querySelector('.overlay') as HTMLElement;
    const k = Number(o.dataset.scale);
    const r = f.contentDocument!.querySelector(sel)!.getBoundingClientRect();
    const ob = o.getBoundingClientRect();
    const doc = { x: r.left, y: r.top, w: r.width, h: r.height };
    return { k, doc, screen: { x: ob.left + r.left * k, y: ob.top + r.top * k, w: r.width * k, h: r.height * k }, overlay: { x: ob.left, y: ob.top, w: ob.width, h: ob.height } };
  }, sel);
}

// The palette as drawn: colour and alpha (× the overlay's opacity) of each density 0..255.
const TABLE = lut(CLASSIC);
/** The density (0..255) whose colour, blended over the page pixel `bg`, is closest to `px`. */
function density(px: number[], bg: number[]): number {
  let best = 0;
  let err = Infinity;
  for (let k = 0; k < 256; k++) {
    const a = (TABLE[k * 4 + 3]! * OPACITY) / 255;
    let e = 0;
    for (let c = 0; c < 3; c++) {
      const v = a * TABLE[k * 4 + c]! + (1 - a) * bg[c]!;
      e += (v - px[c]!) ** 2;
    }
    if (e < err) {
      err = e;
      best = k;
    }
  }
  return best;
}

/** Screenshots of a region with the heat layer and without it (same scroll), as images. */
async function withAndWithout(page: Page, clip: { x: number; y: number; width: number; height: number }): Promise<[Image, Image]> {
  const heat = decodePng(await page.screenshot({ clip }));
  await page.evaluate(() => ((document.querySelector('.heat-canvas') as HTMLElement).style.visibility = 'hidden'));
  const bare = decodePng(await page.screenshot({ clip }));
  await page.evaluate(() => ((document.querySelector('.heat-canvas') as HTMLElement).style.visibility = ''));
  return [heat, bare];
}

function densities(heat: Image, bare: Image): number[] {
  const out = new Array<number>(heat.width * heat.height);
  for (let y = 0; y < heat.height; y++) {
    for (let x = 0; x < heat.width; x++) {
      const i = (y * heat.width + x) * 4;
      const h = [heat.data[i]!, heat.data[i + 1]!, heat.data[i + 2]!];
      const b = [bare.data[i]!, bare.data[i + 1]!, bare.data[i + 2]!];
      out[y * heat.width + x] = h[0] === b[0] && h[1] === b[1] && h[2] === b[2] ? 0 : density(h, b);
    }
  }
  return out;
}

/** Scrolls the dashboard so that the button is in view; its boxes measured there, and a clip around it. */
async function bring(page: Page, sel: string, margin: number) {
  const first = await boxes(page, sel);
  await page.evaluate((y) => window.scrollBy(0, y), first.screen.y - 300);
  await page.waitForTimeout(80);
  const b = await boxes(page, sel);
  const x = Math.max(0, Math.floor(b.screen.x - margin));
  const y = Math.max(0, Math.floor(b.screen.y - margin));
  return { b, clip: { x, y, width: Math.ceil(b.screen.w + 2 * margin), height: Math.ceil(b.screen.h + 2 * margin) } };
}

describe('each layout: the hottest pixel of every button lies inside the button', () => {
  for (const l of LAYOUTS) {
    test(`${l.name} ${l.viewport.width}×${l.viewport.height}`, async () => {
      const api = await elementHeat(l);
      // nothing of the other layout is counted here
      expect(api.body.total).toBe(done.get(l.name)!.length);
      expect(api.body.attributed).toBe(done.get(l.name)!.length);
      const { page, errors } = await openLayout(l);
      await shoot(page, `heatmaps-truth-${l.name}`);
      const lines: string[] = [];
      for (const p of l.plans) {
        const { b, clip } = await bring(page, p.sel, 50);
        const [heat, bare] = await withAndWithout(page, clip);
        const d = densities(heat, bare);
        const max = Math.max(...d);
        expect(max, `${p.sel}: some heat around the button`).toBeGreaterThan(40);
        // the hottest pixel: the centroid of the pixels within 2 of the maximum density
        let sx = 0;
        let sy = 0;
        let n = 0;
        d.forEach((v, i) => {
          if (v < max - 2) return;
          sx += i % heat.width;
          sy += Math.floor(i / heat.width);
          n++;
        });
        // in document px of the snapshot
        const docX = (clip.x + sx / n - b.screen.x) / b.k + b.doc.x;
        const docY = (clip.y + sy / n - b.screen.y) / b.k + b.doc.y;
        const inside = docX >= b.doc.x && docX <= b.doc.x + b.doc.w && docY >= b.doc.y && docY <= b.doc.y + b.doc.h;
        const mine = done.get(l.name)!.filter((c) => c.sel === p.sel);
        const cx = b.doc.x + (mine.reduce((a, c) => a + c.fx, 0) / mine.length) * b.doc.w;
        const cy = b.doc.y + (mine.reduce((a, c) => a + c.fy, 0) / mine.length) * b.doc.h;
        const dist = Math.hypot(docX - cx, docY - cy);
        lines.push(`${p.sel}${p.sticky ? ' (sticky, clicked scrolled down)' : ''} hottest at (${docX.toFixed(0)}, ${docY.toFixed(0)}) in box ${b.doc.x.toFixed(0)},${b.doc.y.toFixed(0)} ${b.doc.w.toFixed(0)}×${b.doc.h.toFixed(0)}: ${dist.toFixed(1)} px from the mean click`);
        expect(inside, lines[lines.length - 1]).toBe(true);
      }
      figure(`heatmap truth ${l.name} ${l.viewport.width}x${l.viewport.height}`, lines.join('; '));
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});

test('layouts: the page counts per device and width, the tabs show them', async () => {
  const r = await readApi<{ layouts: Array<{ device: string; vw: string; pageviews: number; clicks: number }> }>(env, '/api/layouts', { path: PATH });
  expect(r.status).toBe(200);
  for (const l of LAYOUTS) {
    const row = r.body.layouts.find((x) => x.device === l.device && x.vw === l.vw);
    expect(row, `${l.device} ${l.vw}`).toMatchObject({ pageviews: 1, clicks: done.get(l.name)!.length });
  }
  expect(r.body.layouts).toHaveLength(LAYOUTS.length);
  // no layout named in the URL: the busiest one is picked and put in the URL
  const page = await dash.newPage();
  await page.goto(app(env, 'heatmaps', { path: PATH }));
  await expect.poll(() => new URL(page.url()).searchParams.get('device')).not.toBeNull();
  const tabs = await page.locator('.layout-tabs [role=tab]').allTextContents();
  expect(tabs.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual(['Desktop 1', 'Tablet 0', 'Mobile 1']);
  await page.close();
});

test('no phone tap is drawn on the desktop picture', async () => {
  const desk = LAYOUTS[0]!;
  const { page } = await openLayout(desk);
  const buttons = await Promise.all(desk.plans.map((p) => boxes(page, p.sel)));
  let checked = 0;
  for (const c of done.get('phone')!) {
    // where a heatmap mixing layouts would draw this tap: its document fraction of the phone page
    const first = await boxes(page, desk.plans[0]!.sel);
    const ox = first.overlay.x + c.dx * first.overlay.w;
    const oy = first.overlay.y + c.dy * first.overlay.h;
    // (skip spots near a desktop button: those are hot with the desktop's own clicks)
    const near = buttons.some((b) => {
      const bx = b.overlay.x + b.doc.x * b.k;
      const by = first.overlay.y + b.doc.y * b.k;
      return ox > bx - 60 && ox < bx + b.doc.w * b.k + 60 && oy > by - 60 && oy < by + b.doc.h * b.k + 60;
    });
    if (near) continue;
    await page.evaluate((y) => window.scrollBy(0, y), oy - 300);
    await page.waitForTimeout(60);
    const now = await boxes(page, desk.plans[0]!.sel);
    const y = now.overlay.y + c.dy * now.overlay.h;
    const clip = { x: Math.round(ox - 6), y: Math.round(y - 6), width: 13, height: 13 };
    const [heat, bare] = await withAndWithout(page, clip);
    expect(Math.max(...densities(heat, bare)), `phone tap on ${c.sel} drawn on the desktop picture`).toBe(0);
    checked++;
  }
  expect(checked).toBeGreaterThan(5);
  figure('no phone tap on desktop', `${checked} of ${done.get('phone')!.length} phone taps checked where a mixed heatmap would draw them on the desktop picture: no heat at any`);
  await page.close();
});

/** The stage (snapshot + heat layer) as an image. */
async function stageShot(page: Page): Promise<Image> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(100);
  return decodePng(await page.locator('.stage').screenshot());
}

test('switching layouts back and forth draws what loading the URL draws', async () => {
  const lines: string[] = [];
  for (const l of LAYOUTS) {
    const other = LAYOUTS.find((o) => o !== l)!;
    const { page, errors } = await openLayout(l);
    const a = await stageShot(page);
    await page.locator(`.layout-tabs [data-device="${other.device}"]`).click();
    await settle(page, other);
    await page.locator(`.layout-tabs [data-device="${l.device}"]`).click();
    await settle(page, l);
    expect(new URL(page.url()).searchParams.get('vw')).toBe(l.vw);
    const b = await stageShot(page);
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    let differ = 0;
    for (let i = 0; i < a.data.length; i += 4) {
      if (Math.max(Math.abs(a.data[i]! - b.data[i]!), Math.abs(a.data[i + 1]! - b.data[i + 1]!), Math.abs(a.data[i + 2]! - b.data[i + 2]!)) > 8) differ++;
    }
    const share = differ / (a.width * a.height);
    lines.push(`${l.name}: ${a.width}×${a.height} px, ${differ} pixels differ (${(share * 100).toFixed(3)} %)`);
    expect(share, lines[lines.length - 1]).toBeLessThan(0.001);
    expect(errors).toEqual([]);
    await page.close();
  }
  figure('layout switch vs URL load', lines.join('; '));
});
