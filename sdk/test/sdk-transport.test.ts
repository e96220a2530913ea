// Transport: batching by count, bytes and time; sendBeacon at exit with keepalive fetch fallback;
// exponential backoff with jitter and Retry-After; 4xx drops; discard after 60 s offline; clock
// skew from server_time; caps of 60 events/s and maxEventsPerSession.
import { expect, test } from 'vitest';
import { CookieJar } from 'jsdom';
import { ENDPOINT, makePage, T0 } from './load';

const queue = (...cmds: unknown[][]) => (w: any) => (w.tapistry = Object.assign(() => {}, { q: cmds }));

test('a batch leaves when batchSize events are queued, as one text/plain fetch with the key in the body', async () => {
  const p = await makePage(); // page_view + 25 % milestone queued at load
  for (let i = 0; i < 22; i++) p.tap('track', 'e' + i);
  await p.tick(0);
  expect(p.sent).toHaveLength(0);
  p.tap('track', 'e22');
  await p.tick(0);
  expect(p.sent).toHaveLength(1);
  const s = p.sent[0]!;
  expect(s).toMatchObject({ via: 'fetch', url: ENDPOINT, keepalive: true, credentials: 'omit' });
  expect(s.body).toMatchObject({ k: 'pk_test', sdk: { ver: '1.0.0' }, client: { lang: 'en-US' }, sent_at: T0 });
  expect(typeof s.body.client.tz).toBe('string');
  expect(s.body.events).toHaveLength(25);
});

test('otherwise queued events leave flushInterval after the first', async () => {
  const p = await makePage({ before: queue(['config', { flushInterval: 2000 }]) });
  await p.tick(1999);
  expect(p.sent).toHaveLength(0);
  await p.tick(1);
  expect(p.sent).toHaveLength(1);
});

test('batches stay under 56 KB (sendBeacon and keepalive limit 64 KB)', async () => {
  const p = await makePage({ before: queue(['config', { batchSize: 50 }]) });
  const big: Record<string, string> = {};
  for (let i = 0; i < 15; i++) big['k' + i] = 'x'.repeat(256);
  for (let i = 0; i < 30; i++) p.tap('track', 'big', big);
  await p.hide();
  expect(p.sent.length).toBeGreaterThan(1);
  for (const s of p.sent) expect(JSON.stringify(s.body).length).toBeLessThan(56000 + 300);
  expect(p.events('custom')).toHaveLength(30);
});

test('pagehide sends by sendBeacon; a refused beacon falls back to keepalive fetch', async () => {
  const p = await makePage();
  await p.hide();
  expect(p.sent.map((s) => s.via)).toEqual(['beacon']);

  const q = await makePage({ beacon: false });
  await q.hide();
  expect(q.sent.map((s) => [s.via, s.keepalive])).toEqual([['fetch', true]]);

  const r = await makePage({ beacon: null });
  await r.hide();
  expect(r.sent.map((s) => s.via)).toEqual(['fetch']);
});

test('without fetch, periodic flushes use sendBeacon', async () => {
  const p = await makePage({ reply: null });
  await p.tick(5000);
  expect(p.sent.map((s) => s.via)).toEqual(['beacon']);
});

test('5xx and network errors retry with exponential backoff and jitter; success resets it', async () => {
  const times: number[] = [];
  let calls = 0;
  const p = await makePage({
    reply: (_r, n, w) => {
      times.push(w.Date.now());
      calls++;
      return n < 4 ? (n % 2 ? { status: 0, fail: true } : { status: 503 }) : { status: 200, body: { server_time: 0 } };
    },
  });
  await p.tick(5000 + 20000);
  expect(calls).toBe(5);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const bases = [200, 400, 800, 1600];
  gaps.forEach((g, i) => {
    expect(g).toBeGreaterThanOrEqual(bases[i]! / 2);
    expect(g).toBeLessThanOrEqual(bases[i]!);
  });
  expect(p.w.tapistry.stats()).toMatchObject({ retries: 4, sent: 2, queued: 0 });
});

test('Retry-After is honoured on 429', async () => {
  const times: number[] = [];
  const p = await makePage({
    reply: (_r, n, w) => {
      times.push(w.Date.now());
      return n === 0 ? { status: 429, headers: { 'Retry-After': '3' } } : { status: 200, body: {} };
    },
  });
  await p.tick(5000 + 5000);
  expect(times).toHaveLength(2);
  expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(3000);
});

test('other 4xx drop the batch without retrying', async () => {
  let calls = 0;
  const p = await makePage({ reply: () => (calls++, { status: 400, body: { error: 'bad', reason: 'x' } }) });
  await p.tick(5000 + 30000);
  expect(calls).toBe(1);
  expect(p.w.tapistry.stats()).toMatchObject({ dropped: 2, retries: 0, queued: 0 });
});

test('events that cannot be sent for 60 s are discarded; memory only', async () => {
  let calls = 0;
  const p = await makePage({ reply: () => (calls++, { status: 0, fail: true }) });
  await p.tick(5000 + 61000);
  const st = p.w.tapistry.stats();
  expect(st.queued).toBe(0);
  expect(st.dropped).toBe(2);
  const before = calls;
  await p.tick(60000);
  expect(calls).toBe(before); // nothing left to retry
  // nothing of the events is stored (the one key is the snapshot record: a path and a time)
  expect(Object.keys(p.w.localStorage).filter((k) => !k.startsWith('_tapsnap'))).toEqual([]);
});

test('offline: no attempts while navigator.onLine is false; the online event retries at once', async () => {
  let online = false;
  let calls = 0;
  const p = await makePage({
    before: (w) => Object.defineProperty(w.navigator, 'onLine', { configurable: true, get: () => online }),
    reply: () => (calls++, { status: 200, body: {} }),
  });
  await p.tick(8000);
  expect(calls).toBe(0);
  online = true;
  p.w.dispatchEvent(new p.w.Event('online'));
  await p.tick(0);
  expect(calls).toBe(1);
  expect(p.w.tapistry.stats().queued).toBe(0);
});

test('clock skew from server_time corrects ts and sent_at of later events', async () => {
  const p = await makePage({ reply: (_r, _n, w) => ({ status: 200, body: { server_time: w.Date.now() + 3_600_000 } }) });
  await p.tick(5000);
  p.tap('track', 'later');
  p.tap('flush');
  await p.tick(0);
  const b = p.sent[1]!.body;
  expect(b.sent_at).toBe(T0 + 5000 + 3_600_000);
  expect(b.events[0].ts).toBe(T0 + 5000 + 3_600_000);
});

test('caps: at most 60 events per second', async () => {
  const p = await makePage({ before: queue(['config', { batchSize: 50 }]) });
  for (let i = 0; i < 100; i++) p.tap('track', 'burst');
  await p.tick(1000);
  for (let i = 0; i < 10; i++) p.tap('track', 'next-second');
  await p.hide();
  expect(p.events('custom').filter((e) => e.name === 'burst')).toHaveLength(58); // + page_view + milestone = 60
  expect(p.events('custom').filter((e) => e.name === 'next-second')).toHaveLength(10);
  expect(p.w.tapistry.stats().dropped).toBe(42);
});

test('caps: maxEventsPerSession holds across page loads of the session', async () => {
  const jar = new CookieJar();
  const cfg = queue(['config', { maxEventsPerSession: 10 }]);
  const a = await makePage({ cookieJar: jar, before: cfg });
  for (let i = 0; i < 5; i++) a.tap('track', 'a');
  await a.hide(); // page_view, milestone, 5 tracks, scroll = 8
  const b = await makePage({ cookieJar: jar, before: cfg, now: T0 + 60_000 });
  for (let i = 0; i < 5; i++) b.tap('track', 'b');
  await b.hide();
  expect(a.events()).toHaveLength(8);
  expect(b.events()).toHaveLength(2);
});
