// Heatmap snapshots end to end: the SDK in Chromium decides to send one, loads /v1/snapshot.js,
// POSTs the masked, gzipped snapshot to the real server's /s without a CORS preflight, and the
// stored snapshot read back through GET /api/snapshot (read token) is masked and carries the
// page's dimensions. On a 20,000-element page the capture runs without a single long task.
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { launch, newPage } from './lib/browser';

const env = inject('e2e');
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

interface StoredSnapshot {
  url: string;
  captured_at: number;
  viewport: { w: number; h: number };
  doc: { w: number; h: number };
  html: string;
}

async function readSnapshot(path: string, vw: string): Promise<{ status: number; body?: StoredSnapshot }> {
  const q = new URLSearchParams({ project_id: env.project.project_id, path, vw });
  const r = await fetch(`${env.tapistry}/api/snapshot?${q}`, { headers: { Authorization: `Bearer ${env.project.read_token}` } });
  return { status: r.status, body: r.ok ? ((await r.json()) as StoredSnapshot) : undefined };
}

/** Waits for the page's snapshot POST to /s and its response. */
function snapshotPost(page: Page, ms = 30000) {
  return page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/s', { timeout: ms });
}

test('a page view sends a masked, gzipped snapshot; /api/snapshot returns it with the page dimensions', async () => {
  const { context, page } = await newPage(browser);
  const toServer: Request[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(env.tapistry)) toServer.push(r);
  });
  const posted = snapshotPost(page);
  await page.goto(env.site + '/static/snapshot.html');
  const res = await posted;
  expect(res.status()).toBe(202);
  expect(await res.json()).toMatchObject({ accepted: true, path: '/static/snapshot.html' });
  const req = res.request();
  expect(new URL(req.url()).searchParams.get('gz')).toBe('1');
  expect(new URL(req.url()).searchParams.get('k')).toBeTruthy(); // the key is checked before the body is inflated
  expect(req.headers()['content-type']).toBe('text/plain');
  // simple requests only: no preflight, and the chunk came from the SDK's origin
  expect(toServer.filter((r) => r.method() === 'OPTIONS')).toEqual([]);
  expect(toServer.map((r) => new URL(r.url()).pathname)).toContain('/v1/snapshot.js');

  const dims = await page.evaluate(() => ({
    w: document.documentElement.scrollWidth,
    h: document.documentElement.scrollHeight,
    stats: (window as any).tapistry.stats(),
  }));
  expect(dims.stats).toMatchObject({ snapshots: 1 });

  const got = await readSnapshot('/static/snapshot.html', '1024-1439');
  expect(got.status).toBe(200);
  const s = got.body!;
  expect(s.url).toBe(env.site + '/static/snapshot.html');
  expect(s.viewport).toEqual({ w: 1280, h: 800 });
  expect(s.doc).toEqual({ w: dims.w, h: dims.h });
  expect(Date.now() - s.captured_at).toBeLessThan(60000);
  const html = s.html;
  // masked text, no values (typed or authored), no script, no handlers
  expect(html).toContain('<h1 id="title">Xxxxxix xxxx, Xxxx Xxx</h1>');
  expect(html).not.toMatch(/Jane|jane\.roe|hunter2|typed note|private note|Buy now|Support chat/);
  expect(html).not.toMatch(/<script|onclick|<base|<iframe|<canvas/i);
  // assets absolute (against the page's <base>), CSSOM-only rules kept, placeholders sized (the
  // iframe's border box: 300×250 plus its default 2 px border)
  expect(html).toContain(`<link rel="stylesheet" href="${env.site}/static/snapshot.css">`);
  expect(html).toContain(`src="${env.site}/static/logo.svg"`);
  expect(html).toMatch(/\.generated-rule\s*\{\s*color: rgb\(1, 2, 3\);\s*\}/);
  expect(html).toMatch(/id="ad" style="[^"]*width:304px!important;height:254px!important/);
  expect(html).toMatch(/id="chat" style="[^"]*width:320px!important;height:180px!important/);

  // the same browser does not send it again on the next view of that page
  await page.reload();
  await page.waitForTimeout(3500);
  expect(await page.evaluate(() => (window as any).tapistry.stats().snapshots || 0)).toBe(0);
  await context.close();

  // a new visitor (fresh storage) asks the server first (GET /s), which has a current one: nothing sent
  const other = await newPage(browser);
  const asked = other.page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname === '/s', { timeout: 30000 });
  let posts = 0;
  other.page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/s') posts++;
  });
  await other.page.goto(env.site + '/static/snapshot.html');
  const answer = await asked;
  expect(answer.status()).toBe(200);
  expect(await answer.json()).toEqual({ want: false });
  expect(new URL(answer.url()).searchParams.get('u')).toBe(env.site + '/static/snapshot.html');
  await other.page.waitForTimeout(1500);
  expect(posts).toBe(0);
  await other.context.close();
});

interface Capture {
  elements: number;
  /** long tasks from load + 1 s on: the page does nothing after load, so they are the SDK's */
  long: Array<{ start: number; ms: number }>;
  slices: number[];
  ms: number;
  status: number;
}

/** Loads big.html in a fresh context and measures the main thread until the snapshot is posted. */
async function captureBig(): Promise<Capture> {
  const { context, page } = await newPage(browser);
  // Before any page script: record long tasks, and time every idle callback (the capture's
  // slices) so the longest one is known even when it is under the 50 ms long-task threshold.
  await page.addInitScript(() => {
    const w = window as any;
    w.__long = [];
    w.__slices = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.__long.push({ start: Math.round(e.startTime), ms: Math.round(e.duration) });
    }).observe({ type: 'longtask', buffered: true });
    const ric = w.requestIdleCallback.bind(w);
    w.requestIdleCallback = (cb: (d: IdleDeadline) => void, o?: IdleRequestOptions) =>
      ric((d: IdleDeadline) => {
        const t = performance.now();
        try {
          cb(d);
        } finally {
          w.__slices.push(performance.now() - t);
        }
      }, o);
  });
  // This measures the capture itself, run up to 3 times on one page: the server would (rightly)
  // say it has a current snapshot after the first, so its answer to GET /s is pinned to "want".
  // (The GET itself is tested above against the real server.)
  await page.route(
    (u) => u.origin === new URL(env.tapistry).origin && u.pathname === '/s',
    (route) =>
      route.request().method() === 'GET'
        ? route.fulfill({ status: 200, contentType: 'application/json', body: '{"want":true}', headers: { 'Access-Control-Allow-Origin': new URL(env.site).origin } })
        : route.continue(),
  );
  const posted = snapshotPost(page, 45000);
  await page.goto(env.site + '/static/big.html');
  const elements = await page.evaluate(() => document.getElementsByTagName('*').length);
  const loadEnd = await page.evaluate(() => performance.timing.loadEventEnd - performance.timing.navigationStart);
  const res = await posted;
  const m = await page.evaluate(() => {
    const w = window as any;
    const chunk = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/v1/snapshot.js'))!;
    return { long: w.__long as Array<{ start: number; ms: number }>, slices: w.__slices as number[], ms: Math.round(performance.now() - chunk.startTime) };
  });
  await context.close();
  return { elements, long: m.long.filter((t) => t.start >= loadEnd + 1000), slices: m.slices, ms: m.ms, status: res.status() };
}

test('20,000-element page: the capture never blocks the main thread over 50 ms', async () => {
  // Wall-clock figures on a shared 2-core machine: a task of ours preempted by another process
  // can look long. Our own long task would show on every run; noise does not: best of 3.
  let c: Capture | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    c = await captureBig();
    const max = Math.max(...c.slices);
    console.log(
      `snapshot of ${c.elements} elements (run ${attempt}): ${c.slices.length} idle slices, longest ${max.toFixed(1)} ms; ` +
        `chunk to POST ${c.ms} ms; long tasks after load+1s: ${JSON.stringify(c.long)}`,
    );
    expect(c.elements).toBeGreaterThanOrEqual(20000);
    expect(c.status).toBe(202);
    if (!c.long.length && max < 50) break;
  }
  expect(c!.long).toEqual([]);
  expect(Math.max(...c!.slices)).toBeLessThan(50);
  const stored = await readSnapshot('/static/big.html', '1024-1439');
  expect(stored.status).toBe(200);
  expect(stored.body!.html.match(/<article /g)!.length).toBe(1000);
}, 180000);
