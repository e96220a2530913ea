// Heatmap snapshots end to end: the SDK in Chromium decides to send one, loads /v1/snapshot.js,
// POSTs the masked, gzipped snapshot to the real server's /s without a CORS preflight, and the
// stored snapshot read back through GET /api/snapshot (read token) is masked and carries the
// page's dimensions. On a 20,000-element page the capture runs without a single long task. A
// red-team page hiding canaries in every place CSS can carry text gets none of them into the
// snapshot, neither in what the browser sends nor in what the server stores.
import { gunzipSync } from 'node:zlib';
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

/** Canaries of static/snapshot-css.html, one per CSS place (issue 13, finding 6). */
const CSS_CANARIES = [
  'e2e-css-datalink', // <link href="data:text/css,…">
  'e2e-css-import1', // @import url(…?owner=…)
  'e2e-css-import2', // @import "…?o=…%40…"
  'e2e-css-ns', // @namespace url(…)
  'e2e-css-after', // ::after { content: "…" }
  'e2e-css-bare', // custom property, unquoted
  '4929000000007138', // custom property, a card number in groups
  '321-54-9876', // custom property, an SSN
  'e2e-css-esc1', // content string spelled with escapes (\40 for @)
  'e2e-css-esc2', // #id selector with escapes
  'e2e-css-esc3', // custom property with escapes
  'e2e-css-font1', // font-family, quoted
  'e2e-css-font2', // font-family, escaped identifier
  'e2e-css-attr', // the attribute attr() shows
  'e2e-css-query', // url() query, %-encoded
  'e2e-css-frag', // url() fragment
  '5353100000004200', // a class selector
  'e2e-css-svg', // text inside a data: SVG in url()
  'e2e-css-fontsrc', // @font-face src url()
  'e2e-css-fontlocal', // @font-face src local()
  'e2e-css-owner', // inline style custom property (finding 6)
  'e2e-css-comment2', // inline style comment
  '4917000000005557', // a rule inserted by script (insertRule)
  'DE22370400440532013042', // a constructed sheet in document.adoptedStyleSheets
  'FR851420041010050500013M02606', // … its custom property, an IBAN in groups
  'e2e-css-shadow', // <style> in a shadow root
  'e2e-css-shadowadopted', // a shadow root's adopted sheet
  'e2e-css-ignored', // inline style of a [data-tapistry-ignore] placeholder
];
/** Canaries the browser itself may leave out (comments; attr() fallbacks before Chromium 133). */
const CSS_CANARIES_MAYBE_DROPPED = ['e2e-css-comment1', 'e2e-css-attrfb'];

/** What a reader could make of `s`: entities, CSS escapes and %-encoding undone, separators of digit groups gone. */
function readable(s: string): string {
  let d = s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  d = d.replace(/\\([0-9a-f]{1,6})[ \t\n]?/gi, (_, h: string) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff) || 0xfffd));
  d = d.replace(/\\([\s\S])/g, '$1');
  for (let i = 0; i < 3; i++) d = d.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return d + '\n' + d.replace(/(\d)[ +-](?=\w)/g, '$1').replace(/([A-Z0-9]{4}) (?=[A-Z0-9])/g, '$1');
}

test('red team: PII hidden in CSS is neither in the POST /s body nor in the stored snapshot', async () => {
  const { context, page } = await newPage(browser);
  // the gzipped body is a Blob, which the protocol does not report: keep a copy in the page
  await page.addInitScript(() => {
    const w = window as any;
    const f = w.fetch;
    w.__posted = [];
    w.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
      if (init && init.method === 'POST' && new URL(String(input), location.href).pathname === '/s') {
        const b = init.body;
        w.__posted.push(b instanceof Blob ? b.arrayBuffer().then((a) => Array.from(new Uint8Array(a))) : Array.from(new TextEncoder().encode(String(b))));
      }
      return f.call(this, input, init);
    };
  });
  const posted = snapshotPost(page);
  await page.goto(env.site + '/static/snapshot-css.html');
  const res = await posted;
  expect(res.status()).toBe(202);
  expect(await res.json()).toMatchObject({ accepted: true, path: '/static/snapshot-css.html' });

  // every canary is really in the CSS Chromium holds (else its absence below would prove nothing)
  const live = await page.evaluate(() => {
    const texts: string[] = [];
    const sheets = (list: ArrayLike<CSSStyleSheet>) => {
      for (const s of Array.from(list)) {
        try {
          for (const r of Array.from(s.cssRules)) texts.push(r.cssText);
        } catch {
          // not readable
        }
      }
    };
    const root = (r: Document | ShadowRoot) => {
      sheets(r.styleSheets);
      sheets(r.adoptedStyleSheets);
      for (const el of Array.from(r.querySelectorAll('*'))) {
        if (el.shadowRoot) root(el.shadowRoot);
        texts.push(el.getAttribute('style') || '', el.localName === 'link' ? el.getAttribute('href') || '' : '');
        if (el.hasAttribute('data-owner')) texts.push(el.getAttribute('data-owner')!);
      }
    };
    root(document);
    return texts.join('\n');
  });
  for (const c of CSS_CANARIES) expect(readable(live), `${c} in the live page's CSS`).toContain(c);

  const bodies = await page.evaluate(() => Promise.all((window as any).__posted as Array<number[] | Promise<number[]>>));
  expect(bodies).toHaveLength(1);
  const raw = Buffer.from(bodies[0]!);
  const body = new URL(res.request().url()).searchParams.get('gz') === '1' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  const sent = (JSON.parse(body) as { html: string }).html;
  const got = await readSnapshot('/static/snapshot-css.html', '1024-1439');
  expect(got.status).toBe(200);
  const stored = got.body!.html;
  for (const [where, html] of [['POST /s body', body], ['POST /s html', sent], ['/api/snapshot', stored]] as const) {
    const r = readable(html);
    for (const c of [...CSS_CANARIES, ...CSS_CANARIES_MAYBE_DROPPED]) {
      expect(html, `${c} in the ${where}`).not.toContain(c);
      expect(r, `${c} in the ${where}, decoded`).not.toContain(c);
    }
    expect(html, where).not.toContain('/*');
  }
  // the CSS itself is kept: layout rules, the redacted rules, masked content, absolute URLs
  expect(stored).toMatch(/\.red-team-layout \{ display: grid; grid-template-columns: repeat\(2, 1fr\);/);
  expect(stored).toContain('content: "x0x-xxx-xxxxi@xxxxixx.xxx"');
  expect(stored).toContain('--owner: \'x0x-xxx-xxxxi@xxxxixx.xxx\'; color: rgb(1, 2, 3)');
  expect(stored).toMatch(/\.card-\\5b card\\5d\s+\{ color: rgb\(7, 8, 9\); \}/);
  expect(stored).toMatch(/#\\5b email\\5d\s+\{ color: rgb\(4, 5, 6\); \}/);
  expect(stored).toContain(`url("${env.site}/static/logo.svg?u=[email]")`);
  expect(stored).toContain('<style data-tapistry-adopted>');
  expect(stored).toContain('<template shadowrootmode="open">');
  await context.close();
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
  const html = stored.body!.html;
  expect(html.match(/<article /g)!.length).toBe(1000);
  // the utility layer is all there, its content strings masked
  expect(html.match(/--tw-content: 'x0+'/g)!.length).toBe(1000);
  expect(html).toContain(String.raw`.md\:w-999\/12 { width: calc(249.75rem); }`);
}, 180000);
