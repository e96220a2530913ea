// The snapshot hook in the core (src/core/snap.ts) and the lazy chunk it loads (src/snapshot/):
// when a page view loads /v1/snapshot.js (once per path and viewport bucket a day per browser, again
// when the page's structure changed, 1 in 20 cookieless), and what the chunk then POSTs to /s,
// including the 2 MB cap. jsdom has no CompressionStream, so bodies here are plain JSON (the gzip
// path runs in the e2e test).
import { expect, test } from 'vitest';
import { bundle, makePage, type Page, type PageOptions, T0 } from './load';

const DAY = 864e5;
const queue = (...cmds: unknown[][]) => (w: any) => (w.tapistry = Object.assign(() => {}, { q: cmds }));

/** The <script> the hook inserted, if any (after load + 2 s). */
function loader(p: Page): (HTMLScriptElement & { t?: any }) | null {
  return p.doc.querySelector('script[src$="/v1/snapshot.js"]');
}

async function pageAfter(o: PageOptions = {}, ms = 2100): Promise<Page> {
  const p = await makePage(o);
  await p.tick(ms);
  return p;
}

/** A snapshot POST to /s (not the GET /s asking whether one is wanted). */
const isPost = (s: { url: string; method?: string }) => s.method === 'POST' && /\/s(\?|$)/.test(s.url);

/** Runs the chunk the way the browser would: as the inserted script, then lets it finish. */
async function runChunk(p: Page): Promise<any[]> {
  const el = loader(p)!;
  Object.defineProperty(p.doc, 'currentScript', { configurable: true, get: () => el });
  p.w.eval(await bundle('snapshot'));
  Object.defineProperty(p.doc, 'currentScript', { configurable: true, get: () => null });
  for (let i = 0; i < 400 && !p.sent.some(isPost); i++) await p.tick(20);
  await p.tick(50);
  return p.sent.filter(isPost).map((s) => ({ to: s.url, ...s.body }));
}

test('a page view loads /v1/snapshot.js from the SDK origin after load + 2 s, not before', async () => {
  const p = await makePage();
  await p.tick(1900);
  expect(loader(p)).toBeNull();
  await p.tick(200);
  const el = loader(p)!;
  expect(el.src).toBe('https://ingest.test/v1/snapshot.js');
  expect(el.t.c.key).toBe('pk_test');
  // the record per path and viewport bucket (1000 px → bucket 2) is the chunk's to write, once
  // the server has answered: a capture cut short (the visitor left) leaves none, so the next page
  // view tries again
  expect(el.t.k).toBe('_tapsnap2/');
  expect(p.w.localStorage.getItem('_tapsnap2/')).toBeNull();
  await runChunk(p);
  expect(p.w.localStorage.getItem('_tapsnap2/')).toMatch(new RegExp(`^\\d+ ${el.t.h}$`));
});

test('once per (path, viewport bucket) a day; again when the structure changed (after an hour) or a day passed', async () => {
  const first = await pageAfter();
  const [t, h] = [String(T0 + 2000), String(loader(first)!.t.h)];
  const record = `${t} ${h}`;
  const seeded = (value: string) => (w: any) => w.localStorage.setItem('_tapsnap2/', value);
  // same page, same bucket, an hour later: nothing
  expect(loader(await pageAfter({ now: +t! + 3600e3, before: seeded(record) }))).toBeNull();
  // another viewport bucket: a snapshot
  expect(loader(await pageAfter({ now: +t! + 3600e3, before: seeded(record), layout: { vw: 390 } }))).not.toBeNull();
  // structure changed: not within the hour, yes after it
  const other = `${t} ${+h! + 1}`;
  expect(loader(await pageAfter({ now: +t! + 60e3, before: seeded(other) }))).toBeNull();
  expect(loader(await pageAfter({ now: +t! + 3700e3, before: seeded(other) }))).not.toBeNull();
  // a day later: again
  expect(loader(await pageAfter({ now: +t! + DAY + 1, before: seeded(record) }))).not.toBeNull();
});

test('cookieless: nothing stored, 1 page view in 20', async () => {
  const rnd = (r: number) => (w: any) => {
    queue(['config', { persistence: 'none' }])(w);
    w.Math.random = () => r;
  };
  const no = await pageAfter({ before: rnd(0.5) });
  expect(loader(no)).toBeNull();
  const yes = await pageAfter({ before: rnd(0.01) });
  expect(loader(yes)).not.toBeNull();
  expect(Object.keys(yes.w.localStorage)).toEqual([]);
});

test('opt-outs: config snapshots:false, data-snapshots="false", DNT, no consent', async () => {
  expect(loader(await pageAfter({ before: queue(['config', { snapshots: false }]) }))).toBeNull();
  expect(loader(await pageAfter({ attrs: 'data-snapshots="false"' }))).toBeNull();
  const dnt = (w: any) => Object.defineProperty(w.navigator, 'doNotTrack', { value: '1', configurable: true });
  expect(loader(await pageAfter({ before: dnt }))).toBeNull();
  expect(loader(await pageAfter({ before: queue(['config', { requireConsent: true }]) }))).toBeNull();
});

test('no endpoint (no script URL, no data-endpoint): nothing is loaded from the page\'s own origin', async () => {
  const html = '<!doctype html><html><head><script data-project="pk_test"></script></head><body><p>x</p></body></html>';
  const p = await pageAfter({ html });
  expect(p.doc.querySelectorAll('script').length).toBe(1);
});

test('the chunk POSTs a masked snapshot to /s with the key, sanitized url, viewport and document size', async () => {
  const p = await pageAfter({
    url: 'https://shop.example.com/pricing?plan=pro&utm_source=ad#top',
    html:
      '<!doctype html><html><head><title>Pricing</title>' +
      '<script data-project="pk_test" src="https://ingest.test/v1.js"></script></head>' +
      '<body><h1>Hello Ann</h1><input type="password" value="hunter2"><img src="/logo.png"></body></html>',
    layout: { docW: 1000, docH: 4200 },
  });
  const [s] = await runChunk(p);
  expect(s.to).toBe('https://ingest.test/s?k=pk_test'); // the key before the body; no &gz=1: jsdom has no CompressionStream
  expect(s.k).toBe('pk_test');
  expect(s.url).toBe('https://shop.example.com/pricing?utm_source=ad');
  expect(s).toMatchObject({ viewport: { w: 1000, h: 800 }, doc: { w: 1000, h: 4200 } });
  expect(s).toHaveProperty('html');
  expect(s.html).toContain('<h1>Xxxxx Xxx</h1>');
  expect(s.html).toContain('<img src="https://shop.example.com/logo.png">');
  expect(s.html).not.toMatch(/hunter2|<script|Ann/);
  expect(p.w.tapistry.stats()).toMatchObject({ snapshots: 1 });
});

test('over 2 MB: heavy pieces (big data: URLs, srcset) go first; still over: dropped and counted', async () => {
  const big = 'data:image/png;base64,' + 'QUJD'.repeat(700_000); // 2.8 MB
  const html = (body: string) =>
    '<!doctype html><html><head><script data-project="pk_test" src="https://ingest.test/v1.js"></script></head>' +
    `<body>${body}</body></html>`;
  const light = await pageAfter({ html: html(`<img id="hero" src="${big}" srcset="/a.png 1x, /b.png 2x"><p>Hi</p>`) });
  const [s] = await runChunk(light);
  expect(s.html).toContain('<img id="hero" src=""><p>Xx</p>');
  expect(light.w.tapistry.stats()).toMatchObject({ snapshots: 1 });

  const text = 'Lorem ipsum dolor sit amet. '.repeat(110_000); // 3 MB of text: nothing heavy to drop
  const heavy = await pageAfter({ html: html(`<p>${text}</p>`) });
  expect(await runChunk(heavy)).toEqual([]);
  expect(heavy.w.tapistry.stats()).toMatchObject({ snapshotsDropped: 1 });
});

test('a new page view during the capture abandons it', async () => {
  const p = await pageAfter();
  const el = loader(p)!;
  Object.defineProperty(p.doc, 'currentScript', { configurable: true, get: () => el });
  p.w.eval(await bundle('snapshot'));
  p.tap('page', '/elsewhere');
  await p.tick(3000);
  expect(p.sent.filter(isPost)).toEqual([]);
  // nothing recorded for the abandoned page: its next view tries again (issue 13: a page loaded
  // four times never got a snapshot when the first capture was cut short)
  expect(p.w.localStorage.getItem('_tapsnap2/')).toBeNull();
});

test('the chunk prunes records over 24 h old', async () => {
  const p = await pageAfter({
    before: (w) => {
      w.localStorage.setItem('_tapsnap4/old', `${T0 - DAY - 5} 1`);
      w.localStorage.setItem('_tapsnap4/new', `${T0 - 5} 1`);
      w.localStorage.setItem('other', 'kept');
    },
  });
  await runChunk(p);
  expect(Object.keys(p.w.localStorage).sort()).toEqual(['_tapsnap2/', '_tapsnap4/new', 'other']);
});

test('the chunk asks GET /s first (key, url, width, structure hash) and sends the hash with the snapshot', async () => {
  const p = await pageAfter({ url: 'https://shop.example.com/pricing?plan=pro' });
  const hash = loader(p)!.t.h;
  expect(typeof hash).toBe('number');
  const [s] = await runChunk(p);
  const q = p.sent.find((x) => x.method === 'GET' && x.url.includes('/s?'))!;
  const u = new URL(q.url);
  expect(u.origin + u.pathname).toBe('https://ingest.test/s');
  expect(u.searchParams.get('k')).toBe('pk_test');
  expect(u.searchParams.get('u')).toBe('https://shop.example.com/pricing');
  expect(u.searchParams.get('w')).toBe('1000');
  expect(u.searchParams.get('h')).toBe(String(hash));
  expect(q.credentials).toBe('omit');
  expect(s.h).toBe(hash);
});

test('the server has a current snapshot (want: false) or is busy (429): nothing is captured; it cannot say (404, network error): sent', async () => {
  const answer = (r: { status: number; body?: unknown; fail?: boolean }) => ({
    reply: (req: { url: string; method?: string }) => (req.method === 'GET' && req.url.includes('/s?') ? r : { status: 200, body: {} }),
  });
  for (const r of [{ status: 200, body: { want: false } }, { status: 429 }]) {
    const p = await pageAfter(answer(r));
    expect(await runChunk(p)).toEqual([]);
    expect(p.sent.some((x) => x.method === 'GET' && x.url.includes('/s?'))).toBe(true);
  }
  for (const r of [{ status: 200, body: { want: true } }, { status: 404 }, { status: 0, fail: true }]) {
    const p = await pageAfter(answer(r));
    expect(await runChunk(p)).toHaveLength(1);
  }
});
