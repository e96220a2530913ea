// Session replay in the SDK (docs/replay.md): the core's hook (src/core/rec.ts) loads
// /v1/replay.js only for a sampled session with replay consent, on the settings of the first /i
// answer; the chunk (src/replay/) records rrweb events and POSTs them to /r in chunks — inputs as
// lengths only, nothing of secret fields, markers for oversized events and the byte cap, the chunk
// index kept across page loads. jsdom has no CompressionStream, so bodies here are plain JSON (the
// gzip path runs in the e2e test).
import { expect, test } from 'vitest';
import { bundle, makePage, type Page, type PageOptions, type Reply, type Sent } from './load';

const SETTINGS = { rate: 1, kb: 3072, allow: [], mask: [], ignore: [] };
const queue = (...cmds: unknown[][]) => (w: any) => (w.tapistry = Object.assign(() => {}, { q: cmds }));
const isR = (s: Sent) => /\/r\?/.test(s.url);

/** /i answers carry the replay settings; /r answers 200 (or `r(req, n)`). */
function replies(settings: object | undefined = SETTINGS, r?: (req: Sent, n: number, w: any) => Reply) {
  let nr = 0;
  return (req: Sent, _n: number, w: any): Reply =>
    isR(req)
      ? r ? r(req, nr++, w) : { status: 200, body: { accepted: true } }
      : { status: 200, body: { accepted: 1, rejected: 0, server_time: w.Date.now(), replay: settings } };
}

const FORM = `<!doctype html><html><head><title>Form</title>
<script data-project="pk_test" src="https://ingest.test/v1.js"></script></head>
<body><h1>Checkout for Jane Roe</h1><form>
<input id="name" name="fullname"><input id="pw" type="password"><input id="cc" autocomplete="cc-number">
<textarea id="note"></textarea></form><p id="msg">hello</p></body></html>`;

function loader(p: Page): (HTMLScriptElement & { t?: any }) | null {
  return p.doc.querySelector('script[src$="/v1/replay.js"]');
}

async function recording(o: PageOptions = {}): Promise<Page> {
  const p = await makePage({ html: FORM, reply: replies(), ...o });
  await p.tick(6000); // the page view's batch is answered
  const el = loader(p);
  if (el) {
    Object.defineProperty(p.doc, 'currentScript', { configurable: true, get: () => el });
    p.w.eval(await bundle('replay'));
    Object.defineProperty(p.doc, 'currentScript', { configurable: true, get: () => null });
    await p.tick(500); // the first snapshot, in slices
  }
  return p;
}

const chunks = (p: Page) => p.sent.filter(isR).map((s) => s.body);
const events = (p: Page) => chunks(p).flatMap((c) => c.events);

function type(p: Page, el: HTMLInputElement, text: string): void {
  for (const ch of text) {
    el.value += ch;
    el.dispatchEvent(new p.w.Event('input', { bubbles: true }));
  }
}

test('a sampled session loads /v1/replay.js after the first /i answer; the chunk sends meta and a full snapshot', async () => {
  const p = await recording();
  const el = loader(p)!;
  expect(el.src).toBe('https://ingest.test/v1/replay.js');
  expect(el.t.r).toEqual(SETTINGS);
  await p.tick(6000);
  const c = chunks(p);
  expect(c.length).toBeGreaterThanOrEqual(1);
  const first = c[0];
  expect(p.sent.find(isR)!.url).toBe('https://ingest.test/r?k=pk_test');
  expect(first.k).toBe('pk_test');
  expect(first.v).toBe(1);
  expect(first.chunk_index).toBe(0);
  expect(first.session_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(first.events.map((e: any) => e.type).slice(0, 2)).toEqual([4, 2]);
  expect(first.events[0].data.href).toBe('https://shop.example.com/');
  expect(first.from_ms).toBeLessThanOrEqual(first.to_ms);
  for (const e of first.events) expect(e.timestamp >= first.from_ms && e.timestamp <= first.to_ms).toBe(true);
  expect(JSON.stringify(first)).not.toContain('Jane');
});

test('no recorder without sampling, with replay consent refused, or under requireConsent without it', async () => {
  const none = async (o: PageOptions) => {
    const p = await makePage({ html: FORM, reply: replies(), ...o });
    await p.tick(6000);
    return loader(p);
  };
  expect(await none({ reply: replies({ ...SETTINGS, rate: 0 }) })).toBeNull();
  // an older server: no settings in the answer
  expect(await none({ reply: replies(null as unknown as object) })).toBeNull();
  expect(await none({ before: queue(['config', { replaySampleRate: 0 }]) })).toBeNull();
  expect(await none({ before: queue(['setConsent', { replay: false }]) })).toBeNull();
  expect(await none({ before: queue(['config', { requireConsent: true }], ['setConsent', { analytics: true }]) })).toBeNull();
  expect(await none({ before: queue(['config', { requireConsent: true }], ['setConsent', { analytics: true, replay: true }]) })).not.toBeNull();
  expect(await none({ before: (w) => Object.defineProperty(w.navigator, 'doNotTrack', { value: '1', configurable: true }) })).toBeNull();
});

test('about the rate: the same session is in or out on every page; the snippet lowers, never raises', async () => {
  let inAt30 = 0;
  let inAtBoth = 0;
  for (let i = 0; i < 60; i++) {
    const p = await makePage({ html: FORM, reply: replies({ ...SETTINGS, rate: 0.3 }), before: queue(['config', { replaySampleRate: 0.6 }]) });
    await p.tick(6000);
    const first = !!loader(p);
    inAt30 += +first;
    const q = await makePage({ html: FORM, reply: replies({ ...SETTINGS, rate: 0.3 }), cookieJar: p.dom.cookieJar });
    await q.tick(6000);
    // the same session on the next page: the same answer
    expect(!!loader(q)).toBe(first);
    const low = await makePage({ html: FORM, reply: replies({ ...SETTINGS, rate: 0.3 }), cookieJar: p.dom.cookieJar, before: queue(['config', { replaySampleRate: 0.1 }]) });
    await low.tick(6000);
    if (loader(low)) {
      inAtBoth++;
      expect(first).toBe(true); // lowering keeps a subset
    }
  }
  expect(inAt30).toBeGreaterThan(5);
  expect(inAt30).toBeLessThan(35);
  expect(inAtBoth).toBeLessThanOrEqual(inAt30);
});

test('typing sends lengths only; password and card fields send nothing', async () => {
  const p = await recording();
  type(p, p.doc.getElementById('name') as HTMLInputElement, 'Jane Roe');
  type(p, p.doc.getElementById('pw') as HTMLInputElement, 'hunter2');
  type(p, p.doc.getElementById('cc') as HTMLInputElement, '4111111111111111');
  type(p, p.doc.getElementById('note') as HTMLInputElement, 'private note');
  // a show-password toggle: still secret
  const pw = p.doc.getElementById('pw') as HTMLInputElement;
  pw.setAttribute('type', 'text');
  await p.tick(200);
  type(p, pw, 'more');
  await p.tick(6000);
  const all = JSON.stringify(chunks(p));
  for (const secret of ['Jane', 'Roe', 'hunter2', '4111', 'private', 'more']) expect(all, secret).not.toContain(secret);
  const inputs = events(p).filter((e: any) => e.type === 3 && e.data.source === 5);
  const ids = new Set(inputs.map((e: any) => e.data.id));
  expect(ids.size).toBe(2); // name and note only
  expect(inputs.map((e: any) => e.data.text)).toContain('********');
  expect(inputs.every((e: any) => /^\**$/.test(e.data.text))).toBe(true);
});

test('DOM changes are recorded as masked mutations; a new page view takes a new full snapshot', async () => {
  const p = await recording();
  p.doc.getElementById('msg')!.textContent = 'Order 12345 for jane@example.com';
  const li = p.doc.createElement('div');
  li.innerHTML = '<b>Secret plan</b>';
  p.doc.body.appendChild(li);
  await p.tick(6000);
  const muts = events(p).filter((e: any) => e.type === 3 && e.data.source === 0);
  expect(muts.length).toBeGreaterThan(0);
  const all = JSON.stringify(muts);
  expect(all).not.toContain('Secret');
  expect(all).not.toContain('jane');
  expect(all).toContain('Xxxxxi xxxx');
  expect(all).toContain('Xxxxx 00000 xxx');
  const fulls = () => events(p).filter((e: any) => e.type === 2).length;
  expect(fulls()).toBe(1);
  p.w.history.pushState({}, '', '/next');
  await p.tick(8000);
  expect(fulls()).toBe(2);
  const metas = events(p).filter((e: any) => e.type === 4);
  expect(metas[metas.length - 1].data.href).toBe('https://shop.example.com/next');
});

test('at most one chunk a second; a 503 is retried with backoff; the index goes on across page loads', async () => {
  let fail = 2;
  const times: number[] = [];
  const p = await recording({
    reply: replies(SETTINGS, (_r, _n, w) => {
      times.push(w.Date.now());
      return fail-- > 0 ? { status: 503, headers: { 'Retry-After': '1' } } : { status: 200, body: {} };
    }),
  });
  for (let i = 0; i < 20; i++) {
    p.doc.getElementById('msg')!.textContent = 'x'.repeat(i);
    await p.tick(300);
  }
  await p.tick(20000);
  const sent = p.sent.filter(isR);
  expect(sent.length).toBeGreaterThanOrEqual(3);
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
  const idx = sent.map((s) => s.body.chunk_index);
  // the first chunk was sent three times (two 503s), then the others in order
  expect(idx.slice(0, 3)).toEqual([0, 0, 0]);
  for (let i = 3; i < idx.length; i++) expect(idx[i]).toBe(idx[i - 1]! + 1);
  const stored = JSON.parse(p.w.sessionStorage.getItem('_tapr'));
  expect(stored.s).toBe(sent[0]!.body.session_id);
  expect(stored.i).toBe(idx[idx.length - 1]! + 1);
});

test('over the session budget: a truncated marker, then nothing', async () => {
  const p = await recording({ reply: replies({ ...SETTINGS, kb: 64 }) });
  const big = 'y'.repeat(30000);
  for (let i = 0; i < 12; i++) {
    p.doc.getElementById('msg')!.textContent = big + i;
    await p.tick(1500);
  }
  await p.tick(10000);
  const evs = events(p);
  const marker = evs.find((e: any) => e.type === 5 && e.data.tag === 'tapistry.truncated');
  expect(marker).toBeTruthy();
  const n = p.sent.filter(isR).length;
  p.doc.getElementById('msg')!.textContent = 'after';
  await p.tick(10000);
  expect(p.sent.filter(isR).length).toBe(n);
  expect(JSON.parse(p.w.sessionStorage.getItem('_tapr')).x).toBe(1);
});

test('an event over 1 MB is dropped with a marker; the rest goes on', async () => {
  const p = await recording();
  const huge = p.doc.createElement('div');
  huge.textContent = 'z'.repeat(1100000);
  p.doc.body.appendChild(huge);
  await p.tick(100);
  p.doc.getElementById('msg')!.textContent = 'later';
  await p.tick(8000);
  const evs = events(p);
  const dropped = evs.find((e: any) => e.type === 5 && e.data.tag === 'tapistry.dropped');
  expect(dropped).toBeTruthy();
  expect(dropped.data.payload.bytes).toBeGreaterThan(1 << 20);
  expect(JSON.stringify(evs)).toContain('xxxxi');
});

test('a mutation storm pauses mutation recording with a marker', async () => {
  const p = await recording();
  const box = p.doc.getElementById('msg')!;
  for (let i = 0; i < 12000; i++) box.setAttribute('data-i', String(i));
  await p.tick(8000);
  const paused = events(p).find((e: any) => e.type === 5 && e.data.tag === 'tapistry.paused');
  expect(paused).toBeTruthy();
  const muts = events(p).filter((e: any) => e.type === 3 && e.data.source === 0);
  // nothing after the pause: at most the batches before the threshold
  expect(muts.length).toBeLessThanOrEqual(2);
  // a minute later a new full snapshot resumes recording
  await p.tick(62000);
  expect(events(p).filter((e: any) => e.type === 2).length).toBe(2);
});

test('consent withdrawn: the recorder stops and sends nothing more', async () => {
  const p = await recording();
  await p.tick(6000);
  const n = p.sent.filter(isR).length;
  p.tap('setConsent', { replay: false });
  p.doc.getElementById('msg')!.textContent = 'after';
  await p.tick(10000);
  expect(p.sent.filter(isR).length).toBe(n);
});

test('pagehide sends what is buffered by beacon', async () => {
  const p = await recording();
  await p.tick(6000);
  p.doc.getElementById('msg')!.textContent = 'bye';
  await p.tick(150);
  await p.hide();
  const beacons = p.sent.filter((s) => s.via === 'beacon' && isR(s));
  expect(beacons.length).toBe(1);
  expect(beacons[0]!.body.events.some((e: any) => e.type === 3 && e.data.source === 0)).toBe(true);
});
