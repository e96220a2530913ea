// SDK overhead benchmark: Debian's Chromium (playwright-core) loads a page of 5,000 elements with
// sdk/dist/tapistry.js and receives real (CDP-dispatched, trusted) clicks on random elements.
// Prints, and asserts nothing:
//   - the SDK click handler's time: median / p95 / max, measured in the page around the SDK's own
//     listener (cross-origin isolated, so performance.now() has 5 µs resolution), and the same
//     from the Chromium trace (the FunctionCall of that timing wrapper inside the click dispatch);
//   - forced layouts/style recalcs inside the click dispatch, from the performance timeline trace.
//     Before every click the page dirties its layout (a pointerdown listener toggles a class), so a
//     layout read in the handler would show up as a Layout/UpdateLayoutTree event inside it; a
//     control run with a listener that reads offsetHeight shows the detector sees one;
//   - the timing floor: the same measurement around an empty listener.
// Usage: node bench/sdk/click-overhead.mjs [clicks=400]   (run `node sdk/build.mjs` first)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const sdk = readFileSync(join(here, '../../sdk/dist/tapistry.js'), 'utf8');
const CLICKS = Number(process.argv[2] || 400);

function pageHtml(mode) {
  let body = '';
  let n = 0;
  for (let s = 0; n < 5000; s++) {
    let items = '';
    for (let i = 0; i < 11; i++) {
      items += `<li class="item i${i}"><span class="label">Item ${s}.${i}</span> <button class="btn act" data-testid="act-${i}">Go</button></li>`;
    }
    body += `<section class="card c${s % 7}"><h2 class="title">Section ${s}</h2><ul class="list">${items}</ul></section>`;
    n += 3 + 11 * 3;
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>bench</title>
<style>body{font:14px sans-serif;margin:0} .card{display:inline-block;width:300px;vertical-align:top;margin:4px}
body.dirty .card{padding:1px} .btn{margin:2px}</style>
${mode === 'empty' ? '' : '<script data-project="pk_bench" data-endpoint="/i" src="/tapistry.js"></script>'}
<script>
  // dirty the layout right before each click, so a layout read in a click handler would be forced
  addEventListener('pointerdown', function () { document.body.classList.toggle('dirty'); }, true);
  ${mode === 'control' ? "addEventListener('click', function () { window.__h = document.body.offsetHeight; }, true);" : ''}
  ${mode === 'empty' ? "addEventListener('click', function () {}, { capture: true, passive: true }); window.tapistry = { loaded: true };" : ''}
</script></head><body>${body}</body></html>`;
}

function serve(mode) {
  const server = createServer((req, res) => {
    const iso = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
    if (req.url === '/tapistry.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', ...iso });
      return res.end(sdk);
    }
    if (req.url === '/i') {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ accepted: 1, rejected: 0, server_time: Date.now() }));
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...iso });
    res.end(pageHtml(mode));
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))] : NaN;
};

async function run(browser, mode) {
  const server = await serve(mode);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // Time the SDK's own capture-phase click listener on window (the SDK's only click listener).
  await page.addInitScript(() => {
    const add = EventTarget.prototype.addEventListener;
    window.__t = [];
    EventTarget.prototype.addEventListener = function (type, fn, opts) {
      if (this === window && type === 'click' && opts && opts.capture && opts.passive && typeof fn === 'function') {
        const inner = fn;
        fn = function __tapBenchTimed(e) {
          const t0 = performance.now();
          try {
            return inner.call(this, e);
          } finally {
            window.__t.push(performance.now() - t0);
          }
        };
      }
      return add.call(this, type, fn, opts);
    };
  });
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.tapistry && window.tapistry.loaded);
  const info = await page.evaluate(() => ({
    elements: document.getElementsByTagName('*').length,
    isolated: window.crossOriginIsolated,
  }));
  const targets = await page.$$('button, .label, h2');
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  for (let i = 0; i < CLICKS; i++) {
    const el = targets[Math.floor(rand() * targets.length)];
    await el.scrollIntoViewIfNeeded();
    const box = await el.boundingBox();
    if (!box) continue;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForTimeout(5 + rand() * 20);
  }
  const trace = JSON.parse((await browser.stopTracing()).toString('utf8'));
  const inPage = await page.evaluate(() => window.__t);
  await page.close();
  server.close();

  // Trace analysis: click EventDispatch slices on the renderer main thread, what ran inside them.
  const ev = trace.traceEvents;
  const dispatches = ev.filter((e) => e.name === 'EventDispatch' && e.ph === 'X' && e.args?.data?.type === 'click');
  const inside = (d, e) => e.pid === d.pid && e.tid === d.tid && e.ts >= d.ts && e.ts <= d.ts + d.dur;
  const layoutNames = new Set(['Layout', 'UpdateLayoutTree', 'RecalculateStyles']);
  let forced = 0;
  const fnCalls = [];
  for (const d of dispatches) {
    if (ev.some((e) => layoutNames.has(e.name) && e.ph === 'X' && inside(d, e))) forced++;
    const calls = ev.filter((e) => e.name === 'FunctionCall' && e.ph === 'X' && inside(d, e));
    const sdkCalls = calls.filter((c) => c.args?.data?.functionName === '__tapBenchTimed');
    if (sdkCalls.length) fnCalls.push(sdkCalls.reduce((a, c) => a + c.dur, 0) / 1000);
  }
  return { info, inPage, fnCalls, dispatches: dispatches.length, forced };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const r = await run(browser, 'sdk');
  const c = await run(browser, 'control');
  const e = await run(browser, 'empty');
  const ms = (v) => v.toFixed(4) + ' ms';
  console.log(`sdk click overhead (${r.info.elements} elements, ${r.inPage.length} clicks, crossOriginIsolated=${r.info.isolated}, tapistry.js ${(sdk.length / 1024).toFixed(1)} KB)`);
  console.log(`  handler, in page:  median ${ms(pct(r.inPage, 0.5))}  p95 ${ms(pct(r.inPage, 0.95))}  max ${ms(Math.max(...r.inPage))}`);
  console.log(`  handler, trace:    median ${ms(pct(r.fnCalls, 0.5))}  p95 ${ms(pct(r.fnCalls, 0.95))}  (${r.fnCalls.length} FunctionCall slices)`);
  console.log(`  timing floor (an empty listener, same wrapper): in page median ${ms(pct(e.inPage, 0.5))}, trace median ${ms(pct(e.fnCalls, 0.5))}`);
  console.log(`  forced layout/style recalc inside click dispatch: ${r.forced} of ${r.dispatches} clicks`);
  console.log(`  control (a listener reading offsetHeight): forced in ${c.forced} of ${c.dispatches} clicks (detector works: ${c.forced > 0 ? 'yes' : 'NO'})`);
} finally {
  await browser.close();
}
