// Player bench (issue 10): a generated 1-hour session, posted to a running server as forged
// chunks, opened in Debian's Chromium; prints how long the first frame takes after opening the
// player and the p50 / p95 / max of seeks to random positions. Prints figures, asserts nothing.
//
//   node bench/replay/player.mjs [--chunk-s 60] [--seeks 40] [--elements 2000]
//
// Starts build/tapistry (or $TAPISTRY_BIN) on a free port with a fresh data dir, so it needs the
// server built with the dashboard embedded (node dashboard/build.mjs, then the tapistry target).
// The session: a page of --elements elements (text masked like the recorder's), a full snapshot
// every 5 minutes (the recorder's interval) and at every navigation (every 10 minutes), mouse
// moves every 100 ms, a text mutation a second, a click every 10 s, input bursts, and a 90-second
// idle stretch every 15 minutes; cut into chunks of --chunk-s seconds (the SDK cuts every 5 s;
// bigger chunks keep the posting under /r's one-chunk-a-second rate).
//
// "first frame": from the start of the navigation to the player page to the frame's report that
// rrweb rebuilt the first full snapshot (performance.now() on the dashboard page). "seek": from
// the dashboard posting the seek to the frame's report of the next animation frame after rrweb
// applied it (rebuilding the last full snapshot before the target and replaying what follows),
// and the part of it rrweb's synchronous play(offset) / pause(offset) took.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { click, Doc, full, input, meta, move, postChunks, scroll, textMutation, uuid } from './gen.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BINARY = process.env.TAPISTRY_BIN || join(REPO, 'build', 'tapistry');
const arg = (name, d) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const CHUNK_S = arg('chunk-s', 60);
const SEEKS = arg('seeks', 40);
const ELEMENTS = arg('elements', 2000);
const HOUR = 3600_000;

const freePort = () =>
  new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });

// xorshift: the same session every run
let seed = 42;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) % 1_000_000) / 1_000_000;
};
const masked = (n) => 'Xxxxx xxxx xxxxxxx xx xxxxx'.repeat(Math.ceil(n / 27)).slice(0, n);

function page(n, title) {
  const d = new Doc();
  const items = [];
  const textIds = [];
  const inputs = [];
  for (let i = 0; i < n / 4; i++) {
    const t = d.text(masked(20 + (i % 30)));
    textIds.push(t.id);
    const inp = i % 50 === 0 ? d.el('input', { type: 'text', name: 'f' + i }) : d.el('span', { class: 'tag' }, [d.text(masked(6))]);
    if (inp.tagName === 'input') inputs.push(inp.id);
    items.push(d.el('li', { class: 'row r' + (i % 7) }, [d.el('a', { href: '/item/' + i }, [t]), inp]));
  }
  const css = d.text('body{font:14px/1.4 sans-serif;margin:0} .row{padding:4px 12px;border-bottom:1px solid #eee} .tag{margin-left:8px;color:#666}');
  css.isStyle = true;
  const node = d.document([d.el('style', {}, [css])], [d.el('h1', {}, [d.text(masked(title))]), d.el('ul', {}, items)]);
  return { node, textIds, inputs, clickable: items.map((li) => li.childNodes[0].id) };
}

function session(start) {
  const events = [];
  let doc = null;
  let href = '';
  for (let t = 0; t <= HOUR; t += 100) {
    const ts = start + t;
    if (t % 600_000 === 0) {
      href = `https://shop.example/page-${t / 600_000}`;
      doc = page(ELEMENTS, 12 + (t / 600_000) % 10);
      events.push(meta(ts, href), full(ts + 1, doc.node));
      continue;
    }
    if (t % 300_000 === 0) {
      events.push(meta(ts, href), full(ts + 1, doc.node));
      continue;
    }
    // a 90 s idle stretch every 15 minutes: the tab left alone
    if (t % 900_000 > 800_000 && t % 900_000 <= 890_000) continue;
    events.push(move(ts, Math.floor(rand() * 1280), Math.floor(rand() * 800)));
    if (t % 1000 === 0) events.push(textMutation(ts + 1, doc.textIds[Math.floor(rand() * doc.textIds.length)], masked(25)));
    if (t % 10_000 === 5000) events.push(click(ts + 2, doc.clickable[Math.floor(rand() * doc.clickable.length)], 300, 200));
    if (t % 60_000 >= 20_000 && t % 60_000 < 22_000 && t % 200 === 0) events.push(input(ts + 3, doc.inputs[0], '*'.repeat(1 + ((t % 2000) / 200))));
    if (t % 3000 === 1500) events.push(scroll(ts + 4, Math.floor(rand() * 4000)));
  }
  return events;
}

function chunksOf(events, ms) {
  const out = [];
  let cur = [];
  let from = events[0].timestamp;
  for (const e of events) {
    if (e.timestamp - from >= ms && cur.length) {
      out.push(cur);
      cur = [];
      from = e.timestamp;
    }
    cur.push(e);
  }
  if (cur.length) out.push(cur);
  return out;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
};

async function main() {
  const data = mkdtempSync(join(tmpdir(), 'tapistry-player-bench-'));
  const site = 'https://shop.example';
  const out = execFileSync(BINARY, ['project', 'create', '--data', data, '--name', 'bench', '--origin', site], { encoding: 'utf8' });
  const project = JSON.parse(out.slice(out.indexOf('{')));
  execFileSync(BINARY, ['project', 'settings', '--data', data, '--project', project.project_id, '--replay-session-kb', '200000'], { encoding: 'utf8' });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const proc = spawn(BINARY, ['serve', '--listen', `127.0.0.1:${port}`, '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  let browser;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(origin + '/healthz')).ok) break;
      } catch {}
      if (i > 100) throw new Error('server did not start:\n' + log);
      await new Promise((r) => setTimeout(r, 100));
    }
    const start = Date.now() - HOUR - 120_000;
    const events = session(start);
    const chunks = chunksOf(events, CHUNK_S * 1000);
    const sid = uuid();
    const jsonBytes = events.reduce((a, e) => a + JSON.stringify(e).length + 1, 0);
    console.log(`player bench: 1-hour session, ${events.length.toLocaleString('en')} events, ${(jsonBytes / 1048576).toFixed(1)} MB of JSON, ${chunks.length} chunks of ${CHUNK_S} s, ${ELEMENTS} elements per page`);
    const t0 = Date.now();
    let index = 0;
    for (const c of chunks) index += await postChunks(origin, project.public_key, site, sid, c, 20000, index);
    const detail = await (await fetch(`${origin}/api/replays/${sid}?project_id=${project.project_id}`, { headers: { Authorization: `Bearer ${project.read_token}` } })).json();
    const stored = detail.chunks.reduce((a, c) => a + c.bytes, 0);
    console.log(`  posted in ${((Date.now() - t0) / 1000).toFixed(1)} s; stored ${(stored / 1048576).toFixed(2)} MB gzip`);

    // a dashboard session
    const link = execFileSync(BINARY, ['signin-link', '--data', data], { encoding: 'utf8' }).trim();
    const u = new URL(link);
    const r = await fetch(origin + u.pathname + u.search, { redirect: 'manual' });
    const m = /^([^=;\s]+)=([^;]*)/.exec(r.headers.get('set-cookie') ?? '');
    if (!m) throw new Error('sign-in failed');

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const url = `${origin}/app/replays?project=${project.project_id}&session=${sid}`;
    const firsts = [];
    const loads = [];
    let page;
    for (let run = 0; run < 3; run++) {
      const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      await ctx.addCookies([{ name: m[1], value: m[2], url: origin, httpOnly: true, sameSite: 'Lax' }]);
      page = await ctx.newPage();
      await page.goto(url);
      await page.locator('.replay-player[data-first-frame-ms]').waitFor({ timeout: 30000 });
      firsts.push(Number(await page.locator('.replay-player').getAttribute('data-first-frame-ms')));
      await page.locator('.replay-player[data-loaded="1"]').waitFor({ timeout: 120000 });
      loads.push(await page.evaluate(() => performance.now()));
      if (run < 2) await ctx.close();
    }
    console.log(`  first frame, player opened by its URL (cold: the dashboard boots first): ${firsts.map((x) => x.toFixed(0)).join(', ')} ms (median ${pct(firsts, 0.5).toFixed(0)} ms)`);
    // from the replays list (the dashboard already running): click → first frame
    const warm = [];
    for (let run = 0; run < 5; run++) {
      await page.goto(`${origin}/app/replays?project=${project.project_id}&period=all`);
      const row = page.locator(`.replays-table tr[data-session="${sid}"] a.replay-link`);
      await row.waitFor();
      const t = await page.evaluate(() => performance.now());
      await row.click();
      await page.locator('.replay-player[data-first-frame-ms]').waitFor({ timeout: 30000 });
      warm.push(Number(await page.locator('.replay-player').getAttribute('data-first-frame-ms')) - t);
      await page.locator('.replay-player[data-loaded="1"]').waitFor({ timeout: 120000 });
    }
    console.log(`  first frame, player opened from the replays list (click → first frame): ${warm.map((x) => x.toFixed(0)).join(', ')} ms (median ${pct(warm, 0.5).toFixed(0)} ms)`);
    console.log(`  whole session downloaded and handed to the player: ${loads.map((x) => (x / 1000).toFixed(1)).join(', ')} s`);

    // seeks: clicks at random places of the timeline, each waited for
    const bar = await page.locator('.replay-timeline').boundingBox();
    const seeks = [];
    const work = [];
    for (let i = 0; i < SEEKS; i++) {
      const before = Number((await page.locator('.replay-player').getAttribute('data-seeks')) ?? 0);
      await page.mouse.click(bar.x + 2 + rand() * (bar.width - 4), bar.y + bar.height / 2);
      await page.waitForFunction((n) => Number(document.querySelector('.replay-player').getAttribute('data-seeks') ?? 0) > n, before, { timeout: 30000 });
      seeks.push(Number(await page.locator('.replay-player').getAttribute('data-seek-ms')));
      work.push(Number(await page.locator('.replay-player').getAttribute('data-seek-work-ms')));
    }
    console.log(`  seek (${SEEKS} random positions): p50 ${pct(seeks, 0.5).toFixed(0)} ms, p95 ${pct(seeks, 0.95).toFixed(0)} ms, max ${Math.max(...seeks).toFixed(0)} ms`);
    console.log(`    of which rrweb's synchronous rebuild + apply: p50 ${pct(work, 0.5).toFixed(0)} ms, p95 ${pct(work, 0.95).toFixed(0)} ms, max ${Math.max(...work).toFixed(0)} ms`);
  } finally {
    await browser?.close();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(data, { recursive: true, force: true });
  }
}

await main();
