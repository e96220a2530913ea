// Issue 14, end to end in Chromium against the real server: what a forged or hostile snapshot can
// make the dashboard do, and what the bookmarklet leaves on the customer's page.
//  1. POST /s with the project's key and a page URL on an attacker's origin is refused, and live
//     mode never frames the attacker whatever is stored.
//  2. A snapshot of a page on the allowed origin whose HTML points at the attacker's origin every
//     way it can (stylesheet, @import, <img>, srcset, inline style, @font-face, SVG <image>, …):
//     every heatmap mode and view is opened, and neither the browser (every request of the context)
//     nor the attacker's own server (every request it received) sees a request to the attacker.
//  3. The bookmarklet on the allowed-origin page: no token anywhere the page can look, API calls
//     only from the overlay frame on the Tapistry origin; the token reads only heatmap data; /api/*
//     answers carry no Access-Control-Allow-Origin.
// The attacker is a local server on 127.0.0.1 (another port: another origin) that records every
// request and answers each with something that would load more from it.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { app, dashboardContext, type DashEnv, figure, readApi, shoot, SHOTS, sitePage, startDashboardEnv } from './lib/dashboard';
import { decodePng, pixel } from './lib/png';
import { BINARY, freePort } from './lib/tapistry-server';

const PATH = '/static/dash-security.html';
const FORGED_PATH = '/static/dash-forged.html';
const VIEWPORT = { width: 1280, height: 900 };

interface Attacker {
  origin: string;
  /** Every request it received: "METHOD /path referer=…". */
  log: string[];
  close(): Promise<void>;
}

const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

async function startAttacker(): Promise<Attacker> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const server: Server = createServer((req, res) => {
    log.push(`${req.method} ${req.url} referer=${req.headers.referer ?? ''} origin=${req.headers.origin ?? ''}`);
    const path = (req.url ?? '/').split('?')[0]!;
    const h = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' };
    if (path.endsWith('.css')) {
      res.writeHead(200, { ...h, 'content-type': 'text/css' });
      res.end(`@import url(${origin}/nested.css); body { background: url(${origin}/from-css.png) }`);
    } else if (path.endsWith('.png') || path.endsWith('.ico')) {
      res.writeHead(200, { ...h, 'content-type': 'image/png' });
      res.end(PNG_1PX);
    } else if (path.endsWith('.svg')) {
      res.writeHead(200, { ...h, 'content-type': 'image/svg+xml' });
      res.end(`<svg xmlns="http://www.w3.org/2000/svg"><symbol id="i"><image href="${origin}/from-svg.png"/></symbol></svg>`);
    } else {
      res.writeHead(200, { ...h, 'content-type': 'text/html' });
      res.end(`<!doctype html><script>fetch('${origin}/script-ran');</script><p>attacker</p>`);
    }
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { origin, log, close: () => new Promise((r) => server.close(() => r())) };
}

/** A page that names the attacker's origin in every place a browser would load from. */
function hostileHtml(att: string, site: string): string {
  return `<!doctype html><html lang="en" manifest="${att}/m.appcache"><head><meta charset="utf-8">
<meta name="referrer" content="unsafe-url">
<link rel="stylesheet" href="${att}/style.css">
<link rel="preconnect" href="${att}"><link rel="dns-prefetch" href="${att}"><link rel="prerender" href="${att}/prerender.html">
<link rel="preload" as="image" href="${att}/preload.png" imagesrcset="${att}/preload-2x.png 2x"><link rel="prefetch" href="${att}/prefetch.css">
<link rel="icon" href="${att}/favicon.ico"><link rel="manifest" href="${att}/manifest.json">
<style>
@import url(${att}/import-url.css);
@import "${att}/import-string.css";
@import url('${att}/import-quoted.css') screen;
@font-face { font-family: Evil; src: url("${att}/font.woff2") format("woff2"), url(${att}/font\\2e woff) format("woff"); }
body { margin: 0; background: #fff url('${att}/body-bg.png'); font-family: Evil, sans-serif; }
h1 { position: absolute; left: 40px; top: 40px; margin: 0; font-size: 32px; background-image: u\\72l(${att}/escaped.png); }
#cta { position: absolute; left: 440px; top: 330px; width: 400px; height: 110px; background: #4f46e5 image-set("${att}/set-1x.png" 1x, url(${att}/set-2x.png) 2x); color: #fff; border: 0; font-size: 22px; cursor: url(${att}/cursor.png), auto; }
#logo { position: absolute; left: 40px; top: 120px; width: 64px; height: 64px; }
.spacer { height: 2400px; list-style-image: url(${att}/list.png); }
</style></head>
<body background="${att}/body-attr.png">
<h1>Security page</h1>
<img id="logo" src="${site}/static/logo.svg" alt=""><link rel="stylesheet" href="${site}/static/snapshot.css">
<button id="cta" type="button" style="border-image: url(${att}/border.png) 30">Start free trial</button>
<img src="${att}/img.png" srcset="${att}/img-1x.png 1x, ${att}/img-2x.png 2x" alt="" style="position:absolute;left:900px;top:40px;width:10px;height:10px">
<picture><source srcset="${att}/pic.webp" type="image/webp"><img src="${att}/pic.png" alt="" style="position:absolute;left:920px;top:40px;width:10px;height:10px"></picture>
<div style="position:absolute;left:40px;top:700px;width:300px;height:100px;background-image: url(&quot;${att}/inline-bg.png&quot;)"></div>
<table background="${att}/table.png"><tr><td background="${att}/td.png">cell</td></tr></table>
<video poster="${att}/poster.png" src="${att}/video.mp4" width="10" height="10"></video>
<input type="image" src="${att}/input.png" alt="go">
<svg width="20" height="20" style="position:absolute;left:960px;top:40px"><defs><filter id="f"><feImage href="${att}/feimage.png"/></filter></defs>
<image href="${att}/svg-image.png" width="10" height="10"/><image xlink:href="${att}/svg-xlink.png" width="10" height="10"/>
<use href="${att}/sprite.svg#i"/><rect width="5" height="5" fill="url(${att}/fill.svg#p)" filter="url(#f)"/>
<set attributeName="href" to="${att}/svg-set.png"/></svg>
<div><template shadowrootmode="open"><img src="${att}/shadow.png" alt=""></template></div>
<a href="#top" ping="${att}/ping">top</a>
<div class="spacer"></div>
<script>fetch('${att}/script-ran')</script>
</body></html>`;
}

let env: DashEnv;
let att: Attacker;
let dash: BrowserContext;
/** Every request any page of the dashboard context made (frames included), and its initiator. */
const dashRequests: string[] = [];

function watchContext(context: BrowserContext, into: string[]): void {
  context.on('request', (r: Request) => into.push(r.url()));
}

async function postSnapshot(body: Record<string, unknown>, origin?: string): Promise<Response> {
  return fetch(`${env.tap.origin}/s?k=${encodeURIComponent(env.tap.project.public_key)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', ...(origin ? { Origin: origin } : {}) },
    body: JSON.stringify({ k: env.tap.project.public_key, viewport: { w: VIEWPORT.width, h: VIEWPORT.height }, doc: { w: VIEWPORT.width, h: 3000 }, h: 1, ...body }),
  });
}

beforeAll(async () => {
  env = await startDashboardEnv();
  att = await startAttacker();
  // The hostile snapshot goes first: the server keeps a page's first snapshot for an hour, so the
  // SDK's own capture of the real page (below) does not replace it.
  const r = await postSnapshot({ url: env.site + PATH, html: hostileHtml(att.origin, env.site) }, env.site);
  if (!r.ok) throw new Error(`POST /s of the hostile snapshot: ${r.status} ${await r.text()}`);
  // clicks on the real page, so every view has something to draw
  const site = await env.browser.newContext({ viewport: VIEWPORT });
  const page = await sitePage(env, site, PATH);
  for (const [x, y] of [[500, 360], [600, 380], [700, 400], [800, 420], [520, 420], [650, 350]] as const) {
    await page.mouse.click(x, y);
    await page.waitForTimeout(600);
  }
  await page.evaluate(() => (window as any).tapistry('flush'));
  await page.goto('about:blank'); // the page view ends: its scroll event is sent
  for (const end = Date.now() + 15000; ; ) {
    const h = await readApi<{ total: number }>(env, '/api/heatmap', { path: PATH });
    if (h.body.total >= 6) break;
    if (Date.now() > end) throw new Error(`after 15 s the server has ${h.body.total} of 6 clicks`);
    await new Promise((res) => setTimeout(res, 300));
  }
  await site.close();
  dash = await dashboardContext(env, { width: 1440, height: 900 });
  watchContext(dash, dashRequests);
}, 120000);

afterAll(async () => {
  await att?.close();
  await env?.stop();
});

function attackerRequests(list: string[]): string[] {
  const host = new URL(att.origin).host;
  return list.filter((u) => {
    try {
      return new URL(u).host === host;
    } catch {
      return false;
    }
  });
}

describe('a forged snapshot (finding 1)', () => {
  test('POST /s with the project key and a page on another origin is refused, whatever Origin it claims', async () => {
    const forged = { url: att.origin + FORGED_PATH, html: hostileHtml(att.origin, env.site) };
    const statuses: Record<string, number> = {};
    for (const [name, origin] of [['no Origin', undefined], ['Origin: attacker', att.origin], ['Origin: the allowed site', env.site]] as const) {
      const r = await postSnapshot(forged, origin);
      statuses[name] = r.status;
    }
    figure('forged snapshot', Object.entries(statuses).map(([k, v]) => `${k} → ${v}`).join(', '));
    for (const [name, status] of Object.entries(statuses)) expect(status, name).toBe(403);
    const stored = await readApi<{ url?: string }>(env, '/api/snapshot', { path: FORGED_PATH });
    expect(stored.status).toBe(404);
  });

  test('live mode frames only the allowed origin, whatever the stored snapshot says', async () => {
    const page = await dash.newPage();
    await page.goto(app(env, 'heatmaps', { path: FORGED_PATH, mode: 'live' }));
    const iframe = page.locator('iframe.page-frame');
    await iframe.waitFor({ state: 'attached' });
    const src = (await iframe.getAttribute('src'))!;
    expect(new URL(src).origin).toBe(env.site);
    expect(src).toBe(env.site + FORGED_PATH);
    expect(await iframe.getAttribute('sandbox')).toBe('allow-scripts allow-same-origin allow-forms');
    await page.close();
  });
});

describe('a snapshot that points at another origin every way (finding 9)', () => {
  test('no mode or view of the heatmap makes a request to it; the live frame is on the allowed origin', async () => {
    const cspErrors: string[] = [];
    const visited: string[] = [];
    const page = await dash.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    for (const view of ['heatmap', 'scroll', 'elements']) {
      await page.goto(app(env, 'heatmaps', { path: PATH, view }));
      await page.locator('iframe.page-frame[srcdoc]').waitFor({ state: 'attached', timeout: 15000 });
      await page.locator(view === 'scroll' ? '.reach-table' : '.el-row').first().waitFor({ timeout: 15000 });
      await page.locator('.overlay').waitFor({ timeout: 15000 });
      await page.waitForTimeout(1500); // let every stylesheet, font and image in the frame settle
      visited.push(`snapshot/${view}`);
      if (view === 'heatmap') {
        await shoot(page, 'security-hostile-snapshot');
        // what the frame holds: nothing on the attacker's origin, and the CSP first in <head>
        const frame = await page.evaluate(() => {
          const d = (document.querySelector('iframe.page-frame') as HTMLIFrameElement).contentDocument!;
          return { html: d.documentElement.outerHTML, first: d.head.firstElementChild?.getAttribute('http-equiv') };
        });
        expect(frame.first).toBe('Content-Security-Policy');
        expect(frame.html).not.toContain(att.origin);
      }
    }
    for (const view of ['heatmap', 'scroll', 'elements']) {
      await page.goto(app(env, 'heatmaps', { path: PATH, mode: 'live', view }));
      const iframe = page.locator('iframe.page-frame');
      await iframe.waitFor({ state: 'attached' });
      expect(await iframe.getAttribute('src')).toBe(env.site + PATH);
      await page.locator('.overlay-clip').waitFor({ timeout: 12000 });
      const f = (await (await iframe.elementHandle())!.contentFrame())!;
      expect(f.url()).toBe(env.site + PATH);
      await page.waitForTimeout(500);
      visited.push(`live/${view}`);
    }
    await page.goto(app(env, 'heatmaps', { path: PATH, mode: 'bookmarklet' }));
    await page.getByRole('button', { name: 'Create bookmarklet' }).click();
    await page.locator('a.bookmarklet-link').waitFor();
    expect(await page.locator('a.bm-page').getAttribute('href')).toBe(env.site + PATH);
    visited.push('bookmarklet');
    await page.close();
    await new Promise((r) => setTimeout(r, 500));

    const fromBrowser = attackerRequests(dashRequests);
    figure(
      'hostile snapshot',
      `${visited.length} screens (${visited.join(', ')}); ${dashRequests.length} browser requests, ${fromBrowser.length} to the attacker; ` +
        `attacker server received ${att.log.length}; CSP refusals ${cspErrors.length}`,
    );
    expect(fromBrowser).toEqual([]);
    expect(att.log).toEqual([]);
    // the sanitizer removed everything: the CSP (the second wall) had nothing to refuse
    expect(cspErrors).toEqual([]);
  });

  test("the snapshot's assets on the allowed origin come through /api/snapshot-asset", async () => {
    const before = dashRequests.length;
    const page = await dash.newPage();
    const css = page.waitForResponse((r) => r.url().includes('/api/snapshot-asset?') && r.url().includes(encodeURIComponent(env.site + '/static/snapshot.css')), {
      timeout: 15000,
    });
    await page.goto(app(env, 'heatmaps', { path: PATH }));
    const res = await css;
    expect(new URL(res.url()).origin).toBe(env.tap.origin);
    await page.locator('.overlay').waitFor({ timeout: 15000 });
    // nothing of the snapshot is fetched from the site itself: only through the server
    expect(dashRequests.slice(before).filter((u) => u.startsWith(env.site))).toEqual([]);
    figure('snapshot assets', `${env.site}/static/snapshot.css through /api/snapshot-asset → ${res.status()} ${res.headers()['content-type'] ?? ''}`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toMatch(/^text\/css/);
    await page.close();
  });
});

describe('the bookmarklet (findings 1 and 4)', () => {
  let code = '';
  let token = '';

  test('the panel creates a 15-minute token and says what it reads', async () => {
    const page = await dash.newPage();
    await page.goto(app(env, 'heatmaps', { path: PATH, mode: 'bookmarklet' }));
    await page.getByRole('button', { name: 'Create bookmarklet' }).click();
    const link = page.locator('a.bookmarklet-link');
    await expect.poll(() => link.getAttribute('href')).toMatch(/^javascript:/);
    code = (await link.getAttribute('href'))!;
    token = /"token":"([^"]+)"/.exec(decodeURIComponent(code))![1]!;
    expect(token.startsWith('bt.')).toBe(true);
    expect(code).not.toContain('__tapistryBookmarklet');
    const scope = (await page.locator('.bm-scope').textContent())!.replace(/\s+/g, ' ');
    expect(scope).toContain("this project's heatmap, scroll map, element counts and page snapshot");
    expect(scope).toContain('stops working when you sign out');
    await shoot(page, 'security-bookmarklet-panel');
    const expires = Number(await page.locator('[data-expires]').getAttribute('data-expires'));
    figure('bookmarklet token', `expires in ${((expires - Date.now()) / 60000).toFixed(1)} min`);
    expect(expires - Date.now()).toBeGreaterThan(13 * 60000);
    expect(expires - Date.now()).toBeLessThanOrEqual(15 * 60000 + 5000);
    await page.close();
  });

  test('on the page: the overlay draws, the page holds no token, only the overlay frame calls the API', async () => {
    expect(token).not.toBe('');
    const site = await env.browser.newContext({ viewport: VIEWPORT });
    const reqs: Array<{ url: string; frame: string; auth: boolean }> = [];
    site.on('request', (r) => {
      let frame = '';
      try {
        frame = r.frame().url();
      } catch {
        // a service worker or a request without a frame
      }
      reqs.push({ url: r.url(), frame, auth: !!r.headers().authorization });
    });
    const sp: Page = await sitePage(env, site, PATH);
    const clean = decodePng(await sp.screenshot());
    await sp.evaluate((js) => (0, eval)(decodeURIComponent(js.slice('javascript:'.length))), code);
    const bar = () => sp.evaluate(() => document.getElementById('__tapistry_overlay')?.shadowRoot?.querySelector('.bar')?.textContent ?? '');
    await expect.poll(bar, { timeout: 15000 }).toMatch(/6 clicks/);
    await sp.waitForTimeout(300);
    const drawn = decodePng(await sp.screenshot({ path: join(SHOTS, 'security-bookmarklet-on-site-1280x900.png') }));
    // the clicked button is coloured by the overlay
    const a = pixel(clean, 650, 380);
    const b = pixel(drawn, 650, 380);
    expect(Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2])).toBeGreaterThan(60);

    const found = await sp.evaluate((t) => {
      const hits: string[] = [];
      const w = window as unknown as Record<string, unknown>;
      if ('__tapistryBookmarklet' in w) hits.push('window.__tapistryBookmarklet');
      if (document.documentElement.outerHTML.includes(t)) hits.push('outerHTML');
      const host = document.getElementById('__tapistry_overlay');
      if (host?.shadowRoot?.innerHTML.includes(t)) hits.push('overlay shadow root');
      for (const f of Array.from(document.querySelectorAll('iframe'))) if (f.src.includes(t)) hits.push('iframe src');
      for (const s of Array.from(document.scripts)) if (s.src.includes(t) || s.textContent?.includes(t)) hits.push('script');
      for (const e of performance.getEntriesByType('resource')) if (e.name.includes(t)) hits.push('resource ' + e.name);
      if (document.cookie.includes(t)) hits.push('cookie');
      for (const st of [localStorage, sessionStorage]) for (let i = 0; i < st.length; i++) if (st.getItem(st.key(i)!)?.includes(t)) hits.push('storage');
      const seen = new Set<unknown>([window, document]);
      let props = 0;
      for (const k of Object.getOwnPropertyNames(window)) {
        let v: unknown;
        try {
          v = w[k];
        } catch {
          continue;
        }
        props++;
        if (typeof v === 'string') {
          if (v.includes(t)) hits.push('window.' + k);
        } else if (v && typeof v === 'object' && !seen.has(v) && !(v instanceof Node) && v !== window.frames) {
          seen.add(v);
          try {
            if (JSON.stringify(v)?.includes(t)) hits.push('window.' + k);
          } catch {
            // cyclic or not serializable
          }
          for (const kk of Object.getOwnPropertyNames(v)) {
            try {
              const vv = (v as Record<string, unknown>)[kk];
              if (typeof vv === 'string' && vv.includes(t)) hits.push(`window.${k}.${kk}`);
            } catch {
              // a getter that throws
            }
          }
        }
      }
      return { hits, props };
    }, token);
    expect(found.props).toBeGreaterThan(100);
    expect(found.hits).toEqual([]);

    const framePage = env.tap.origin + '/app/overlay-frame.html';
    const api = reqs.filter((r) => new URL(r.url).pathname.startsWith('/api/'));
    expect(api.length).toBeGreaterThanOrEqual(2);
    for (const r of api) expect(r.frame, r.url).toBe(framePage);
    for (const r of reqs.filter((x) => x.auth)) expect(r.frame, r.url).toBe(framePage);
    expect(reqs.filter((r) => r.url.includes(token))).toEqual([]);
    figure('bookmarklet on the page', `${api.length} API calls, all from ${framePage}; token found in ${found.hits.length} of ${found.props} window properties, the DOM, storage, URLs`);

    await sp.keyboard.press('Escape');
    expect(await sp.locator('#__tapistry_overlay').count()).toBe(0);
    await site.close();
  });

  test('the token reads the heatmap and nothing else; /api/* sends no CORS headers', async () => {
    const q = new URLSearchParams({ project_id: env.tap.project.project_id, path: PATH }).toString();
    const bearer = { Authorization: `Bearer ${token}`, Origin: env.site };
    const heat = await fetch(`${env.tap.origin}/api/heatmap?${q}`, { headers: bearer });
    expect(heat.status).toBe(200);
    expect(heat.headers.get('access-control-allow-origin')).toBeNull();
    const events = await fetch(`${env.tap.origin}/api/events?${q}`, { headers: bearer });
    expect(events.status).toBe(403);
    expect(((await events.json()) as { error: string }).error).toBe('permission_denied');
    for (const p of ['/api/overview', '/api/paths', '/api/breakdown']) {
      const r = await fetch(`${env.tap.origin}${p}?${q}`, { headers: bearer });
      expect(r.status, p).toBe(403);
    }
    const pre = await fetch(`${env.tap.origin}/api/heatmap?${q}`, {
      method: 'OPTIONS',
      headers: { Origin: env.site, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const read = await fetch(`${env.tap.origin}/api/overview?${q}`, { headers: { Authorization: `Bearer ${env.tap.project.read_token}`, Origin: att.origin } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
    figure('bookmarklet token scope', `heatmap ${heat.status}, events ${events.status}; preflight ${pre.status} without Access-Control-Allow-Origin`);
  });
});

describe('live mode without an allowed origin', () => {
  test('frames nothing and shows the command that adds the site', async () => {
    const out = execFileSync(BINARY, ['project', 'create', '--data', env.tap.data, '--name', 'No origins'], { encoding: 'utf8' });
    const id = (JSON.parse(out.slice(out.indexOf('{'))) as { project_id: string }).project_id;
    const page = await dash.newPage();
    await page.goto(`${env.tap.origin}/app/heatmaps?project=${encodeURIComponent(id)}&path=%2Fpricing&mode=live`);
    const state = page.locator('.no-live-origin');
    await state.waitFor({ timeout: 10000 });
    expect(await page.locator('iframe').count()).toBe(0);
    expect(await state.locator('code').last().textContent()).toBe(`tapistry project settings --data DIR --project ${id} --origin https://www.your-site.example`);
    await shoot(page, 'security-live-no-origin');
    await page.getByRole('button', { name: 'Use snapshot' }).click();
    expect(page.url()).not.toContain('mode=live');
    await page.close();
  });
});
