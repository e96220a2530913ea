// The live-frame hook in the core (src/core/api.ts → /v1/frame.js, only when framed) and the chunk's
// handshake (src/frame/handshake.ts, docs/dashboard.md "Live-frame handshake"): who gets an answer
// (the direct parent, on the endpoint's origin, never '*'), what the answer holds (geometry only),
// and the rAF-throttled scroll messages after it.
// jsdom has no frames with origins, so a page is "framed" by pointing its top/parent at a recording
// stand-in for the dashboard's window (jsdom keeps them in _top/_parent: `top` is not configurable),
// and the dashboard's messages are dispatched as MessageEvents with the origin and source a browser
// would set.
import { expect, test } from 'vitest';
import { bundle, makePage, type Page, type PageOptions } from './load';

const SERVER = 'https://ingest.test'; // the origin of ENDPOINT, where the dashboard is served

interface Posted {
  msg: any;
  to: string;
}

interface Framed extends Page {
  parent: { postMessage(msg: unknown, to: string): void };
  posted: Posted[];
  /** the dashboard's hello (or any message), as the browser would deliver it */
  hello(o?: { origin?: string; source?: unknown; data?: unknown }): void;
}

const queue = (...cmds: unknown[][]) => (w: any) => (w.tapistry = Object.assign(() => {}, { q: cmds }));

function loader(p: Page): (HTMLScriptElement & { t?: any }) | null {
  return p.doc.querySelector('script[src$="/v1/frame.js"]');
}

async function framedPage(o: PageOptions = {}): Promise<Framed> {
  const posted: Posted[] = [];
  const parent = {
    postMessage(msg: unknown, to: string) {
      // what the browser would deliver: a structured clone
      posted.push({ msg: JSON.parse(JSON.stringify(msg)), to });
    },
  };
  const p = await makePage({
    ...o,
    before: (w) => {
      w._top = w._parent = parent;
      o.before?.(w);
    },
  });
  return Object.assign(p, {
    parent,
    posted,
    hello(h: { origin?: string; source?: unknown; data?: unknown } = {}) {
      const e = new p.w.MessageEvent('message', {
        data: 'data' in h ? h.data : { tapistry: 'hello', v: 1 },
        origin: h.origin ?? SERVER,
        source: 'source' in h ? h.source : parent,
      });
      p.w.dispatchEvent(e);
    },
  });
}

/** Runs the chunk the way the browser would: as the script the core inserted. */
async function runChunk(p: Page): Promise<void> {
  const el = loader(p)!;
  Object.defineProperty(p.doc, 'currentScript', { configurable: true, get: () => el });
  p.w.eval(await bundle('frame'));
  Object.defineProperty(p.doc, 'currentScript', { configurable: true, get: () => null });
}

test('the core loads /v1/frame.js from the SDK origin at start-up when framed, never when not', async () => {
  const top = await makePage();
  await top.tick(3000);
  expect(loader(top)).toBeNull();

  const p = await framedPage();
  const el = loader(p)!;
  expect(el.src).toBe(SERVER + '/v1/frame.js');
  expect(el.t.endpoint).toBe('https://ingest.test/i');
  expect(p.doc.querySelectorAll('script[src$="/v1/frame.js"]').length).toBe(1);
});

test('framed with DNT or without consent: the chunk still loads (it collects nothing), events stay off', async () => {
  const dnt = await framedPage({ before: (w) => Object.defineProperty(w.navigator, 'doNotTrack', { value: '1', configurable: true }) });
  expect(loader(dnt)).not.toBeNull();
  const nc = await framedPage({ before: queue(['config', { requireConsent: true }]) });
  expect(loader(nc)).not.toBeNull();
  await nc.tick(6000);
  expect(nc.sent).toEqual([]);
});

test('the dashboard\'s live frame (window.name "tapistry-live"): the chunk loads, nothing is collected, even with respectDNT: false', async () => {
  const live = await framedPage({ before: (w) => ((w.name = 'tapistry-live'), queue(['config', { respectDNT: false }])(w)) });
  expect(loader(live)).not.toBeNull();
  live.click(live.doc.body, 1, 1);
  await live.tick(6000);
  await live.hide();
  expect(live.sent).toEqual([]);
  // any other frame name is an ordinary framed page
  const other = await framedPage({ before: (w) => (w.name = 'checkout') });
  await other.tick(6000);
  await other.hide();
  expect(other.events('page_view')).toHaveLength(1);
});

test('framed without an endpoint: nothing is loaded from the page\'s own origin', async () => {
  const html = '<!doctype html><html><head><script data-project="pk_test"></script></head><body><p>x</p></body></html>';
  const p = await framedPage({ html });
  expect(p.doc.querySelectorAll('script').length).toBe(1);
});

test('framed under Trusted Types (setting a script src throws): the SDK starts and replays the queue all the same', async () => {
  const p = await framedPage({
    before: (w) => {
      Object.defineProperty(w.HTMLScriptElement.prototype, 'src', {
        configurable: true,
        set() {
          throw new w.TypeError("This document requires 'TrustedScriptURL' assignment.");
        },
      });
      queue(['track', 'queued'])(w);
    },
  });
  expect(loader(p)).toBeNull();
  p.tap('track', 'after');
  await p.hide();
  expect(p.events('page_view').length).toBe(1);
  expect(p.events('custom').map((e) => e.name)).toEqual(['queued', 'after']);
  expect(p.events('scroll').length).toBe(1);
});

test('a hello from the parent on the server origin gets ready: geometry only, posted to that origin', async () => {
  const p = await framedPage({ layout: { docW: 1200, docH: 5000, vw: 1180, vh: 760, sx: 3, sy: 420 } });
  await runChunk(p);
  expect(p.posted).toEqual([]); // nothing before a hello
  p.hello();
  expect(p.posted).toEqual([
    {
      to: SERVER,
      msg: { tapistry: 'ready', v: 1, doc: { w: 1200, h: 5000 }, viewport: { w: 1180, h: 760 }, scroll: { x: 3, y: 420 } },
    },
  ]);
  // every hello gets its ready (the dashboard pings until one arrives)
  p.hello();
  expect(p.posted.map((m) => m.msg.tapistry)).toEqual(['ready', 'ready']);
});

test('origin checks: other origins, an opaque origin, other windows and other messages get nothing', async () => {
  const p = await framedPage();
  await runChunk(p);
  p.hello({ origin: 'https://evil.example' });
  p.hello({ origin: 'http://ingest.test' }); // scheme differs
  p.hello({ origin: 'https://ingest.test:8443' }); // port differs
  p.hello({ origin: 'https://sub.ingest.test' });
  p.hello({ origin: 'null' }); // a sandboxed frame
  p.hello({ origin: '' });
  p.hello({ source: null }); // right origin, but not from our parent window
  p.hello({ source: p.w }); // the page itself
  p.hello({ source: { postMessage() {} } }); // another window on the server origin (a child frame, a popup)
  for (const data of [null, 'hello', { tapistry: 'ready', v: 1 }, { tapistry: 'scroll' }, { v: 1 }, [1]]) p.hello({ data });
  p.w.dispatchEvent(new p.w.Event('scroll'));
  await p.tick(100);
  expect(p.posted).toEqual([]);
  // then the real one
  p.hello();
  expect(p.posted.map((m) => [m.msg.tapistry, m.to])).toEqual([['ready', SERVER]]);
});

test('the server origin follows config({ endpoint }); a non-http(s) endpoint answers nobody', async () => {
  const p = await framedPage();
  await runChunk(p);
  p.tap('config', { endpoint: 'https://tap.example.org:8443/i' });
  p.hello();
  expect(p.posted).toEqual([]);
  p.hello({ origin: 'https://tap.example.org:8443' });
  expect(p.posted.map((m) => m.to)).toEqual(['https://tap.example.org:8443']);

  const { I } = await internalsOf(p);
  expect(I.frame.serverOrigin('https://ingest.test/i')).toBe(SERVER);
  expect(I.frame.serverOrigin('https://tap.example/proxy/i?x=1')).toBe('https://tap.example');
  expect(I.frame.serverOrigin('http://127.0.0.1:8080/i')).toBe('http://127.0.0.1:8080');
  expect(I.frame.serverOrigin('data:text/plain,x')).toBe('');
  expect(I.frame.serverOrigin('file:///tmp/i')).toBe('');
  expect(I.frame.serverOrigin('/i')).toBe('');
  expect(I.frame.serverOrigin('')).toBe('');
});

async function internalsOf(p: Page): Promise<{ I: any }> {
  return { I: await p.internals() };
}

test('after ready: scroll and resize send scroll messages with the new geometry, one per frame', async () => {
  const p = await framedPage();
  await runChunk(p);
  p.hello();
  p.posted.length = 0;
  p.layout({ sy: 800 });
  for (let i = 0; i < 5; i++) p.w.dispatchEvent(new p.w.Event('scroll'));
  await p.tick(20);
  expect(p.posted).toEqual([
    {
      to: SERVER,
      msg: { tapistry: 'scroll', v: 1, doc: { w: 1000, h: 3000 }, viewport: { w: 1000, h: 800 }, scroll: { x: 0, y: 800 } },
    },
  ]);
  p.layout({ vw: 600, vh: 500, docW: 600, docH: 4200 });
  p.w.dispatchEvent(new p.w.Event('resize'));
  p.w.dispatchEvent(new p.w.Event('scroll'));
  await p.tick(20);
  expect(p.posted.length).toBe(2);
  expect(p.posted[1]!.msg).toEqual({ tapistry: 'scroll', v: 1, doc: { w: 600, h: 4200 }, viewport: { w: 600, h: 500 }, scroll: { x: 0, y: 800 } });
  // another hello does not add a second set of listeners
  p.hello();
  p.posted.length = 0;
  p.w.dispatchEvent(new p.w.Event('scroll'));
  await p.tick(20);
  expect(p.posted.length).toBe(1);
});

test('the messages hold numbers only: no text, no URL, no DOM', async () => {
  const p = await framedPage({ url: 'https://shop.example.com/account?email=a@b.com#x', title: 'Secret order 42' });
  await runChunk(p);
  p.hello();
  p.w.dispatchEvent(new p.w.Event('scroll'));
  await p.tick(20);
  expect(p.posted.length).toBe(2);
  const leaves = (v: unknown): unknown[] => (v && typeof v === 'object' ? Object.values(v).flatMap(leaves) : [v]);
  for (const { msg } of p.posted) {
    expect(Object.keys(msg).sort()).toEqual(['doc', 'scroll', 'tapistry', 'v', 'viewport']);
    const { tapistry, ...rest } = msg;
    expect(['ready', 'scroll']).toContain(tapistry);
    for (const x of leaves(rest)) expect(typeof x).toBe('number');
  }
});

test('the chunk in a top-level window answers nothing, and a page that breaks postMessage is not broken by it', async () => {
  const top = await makePage();
  Object.defineProperty(top.doc, 'currentScript', { configurable: true, get: () => Object.assign(top.doc.createElement('script'), { t: { endpoint: 'https://ingest.test/i' } }) });
  top.w.eval(await bundle('frame'));
  const sent: unknown[] = [];
  top.w.postMessage = (m: unknown) => sent.push(m);
  top.w.dispatchEvent(new top.w.MessageEvent('message', { data: { tapistry: 'hello', v: 1 }, origin: SERVER, source: top.w }));
  expect(sent).toEqual([]);

  const p = await framedPage();
  await runChunk(p);
  p.parent.postMessage = () => {
    throw new Error('broken');
  };
  const errors: unknown[] = [];
  p.w.addEventListener('error', (e: ErrorEvent) => errors.push(e.error));
  p.hello();
  p.w.dispatchEvent(new p.w.Event('scroll'));
  await p.tick(20);
  expect(errors).toEqual([]);
});
