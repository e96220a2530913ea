// Test harness: runs the SDK in a fresh jsdom window per test, with fake timers installed on that
// window, sendBeacon and fetch recorded, and layout figures stubbed (jsdom has no layout).
// TAP_SDK_DIST=1 runs the minified builds from sdk/dist instead of bundling the sources.
import FakeTimers from '@sinonjs/fake-timers';
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CookieJar, JSDOM } from 'jsdom';

export const DIST = !!process.env.TAP_SDK_DIST;
const root = join(__dirname, '..');
const cache = new Map<string, string>();

const FILES = {
  sdk: ['index.ts', 'tapistry.js'],
  internals: ['internals.ts', 'test/internals.min.js'],
  snapshot: ['snapshot/index.ts', 'snapshot.js'],
  frame: ['frame/index.ts', 'frame.js'],
  replay: ['replay/index.ts', 'replay.js'],
} as const;

export async function bundle(kind: keyof typeof FILES): Promise<string> {
  const hit = cache.get(kind);
  if (hit) return hit;
  let code: string;
  if (DIST) {
    code = readFileSync(join(root, 'dist', FILES[kind][1]), 'utf8');
  } else {
    const r = await build({
      entryPoints: [join(root, 'src', FILES[kind][0])],
      bundle: true,
      format: 'iife',
      globalName: kind === 'internals' ? '__tapInternals' : undefined,
      target: 'es2017',
      write: false,
      logLevel: 'error',
    });
    code = r.outputFiles[0]!.text;
  }
  cache.set(kind, code);
  return code;
}

export const T0 = 1_700_000_000_000;
export const ORIGIN = 'https://shop.example.com';
export const ENDPOINT = 'https://ingest.test/i';

export interface Sent {
  via: 'beacon' | 'fetch';
  /** fetch only */
  method?: string;
  url: string;
  body: any;
  keepalive?: boolean;
  credentials?: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** reject the fetch (network error) */
  fail?: boolean;
}

export interface PageOptions {
  url?: string;
  html?: string;
  referrer?: string;
  title?: string;
  /** script tag attributes besides src/data-project */
  attrs?: string;
  cookieJar?: CookieJar;
  /** runs before the SDK boots: define the stub queue, stub navigator, etc. */
  before?: (w: any) => void;
  /** sendBeacon's return value; null removes sendBeacon */
  beacon?: boolean | null | (() => boolean);
  /** how fetch answers; null removes fetch */
  reply?: null | ((req: Sent, n: number, w: any) => Reply);
  layout?: Partial<Layout>;
  now?: number;
  /** do not load the SDK (internals tests) */
  noSdk?: boolean;
}

export interface Layout {
  docW: number;
  docH: number;
  vw: number;
  vh: number;
  sx: number;
  sy: number;
}

export interface Page {
  w: any;
  doc: Document;
  dom: JSDOM;
  clock: FakeTimers.InstalledClock;
  sent: Sent[];
  /** every event sent so far, in order */
  events(type?: string): any[];
  tick(ms: number): Promise<void>;
  layout(l: Partial<Layout>): void;
  /** a pointer click on `el` at document position (x, y) */
  click(el: Element, x?: number, y?: number, init?: Record<string, unknown>): void;
  /** runs SDK commands through window.tapistry */
  tap(...args: unknown[]): void;
  /** pagehide: everything pending goes out by beacon */
  hide(): Promise<void>;
  internals(): Promise<any>;
}

export async function makePage(o: PageOptions = {}): Promise<Page> {
  const url = o.url || ORIGIN + '/';
  const html =
    o.html ||
    `<!doctype html><html><head><title>${o.title || 'Home'}</title>` +
      `<script data-project="pk_test" src="https://ingest.test/v1.js" ${o.attrs || ''}></script></head>` +
      `<body><main><button id="buy">Buy</button><p class="text">Hello</p></main></body></html>`;
  const dom = new JSDOM(html, {
    url,
    referrer: o.referrer,
    runScripts: 'outside-only',
    pretendToBeVisual: true,
    cookieJar: o.cookieJar,
  });
  const w = dom.window as any;
  // jsdom lacks TextEncoder (every browser the SDK targets has it): lend Node's
  if (!w.TextEncoder) w.TextEncoder = TextEncoder;
  const clock = FakeTimers.withGlobal(w).install({
    now: o.now || T0,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'requestAnimationFrame', 'cancelAnimationFrame'],
  });
  const sent: Sent[] = [];
  if (o.beacon === null) {
    delete w.navigator.sendBeacon;
    Object.defineProperty(w.navigator, 'sendBeacon', { value: undefined, configurable: true });
  } else {
    Object.defineProperty(w.navigator, 'sendBeacon', {
      configurable: true,
      value: (u: string, body: string) => {
        const ok = typeof o.beacon === 'function' ? o.beacon() : o.beacon !== false;
        if (ok) sent.push({ via: 'beacon', url: u, body: JSON.parse(body) });
        return ok;
      },
    });
  }
  let n = 0;
  if (o.reply !== null) {
    const reply = o.reply || (() => ({ status: 200, body: { accepted: 1, rejected: 0, server_time: w.Date.now() } }));
    w.fetch = (u: string, init: any) => {
      const body = init && typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      const req: Sent = { via: 'fetch', method: (init && init.method) || 'GET', url: u, body, keepalive: init && init.keepalive, credentials: init && init.credentials };
      sent.push(req);
      const r = reply(req, n++, w);
      if (r.fail) return Promise.reject(new TypeError('Failed to fetch'));
      const headers = r.headers || {};
      return Promise.resolve({
        ok: r.status >= 200 && r.status < 300,
        status: r.status,
        headers: { get: (k: string) => headers[k] ?? headers[k.toLowerCase()] ?? null },
        json: () => Promise.resolve(r.body ?? {}),
      });
    };
  } else {
    w.fetch = undefined;
  }
  const dims: Layout = { docW: 1000, docH: 3000, vw: 1000, vh: 800, sx: 0, sy: 0, ...o.layout };
  const de = w.document.documentElement;
  Object.defineProperty(de, 'scrollWidth', { configurable: true, get: () => dims.docW });
  Object.defineProperty(de, 'scrollHeight', { configurable: true, get: () => dims.docH });
  Object.defineProperty(w, 'innerWidth', { configurable: true, get: () => dims.vw });
  Object.defineProperty(w, 'innerHeight', { configurable: true, get: () => dims.vh });
  Object.defineProperty(w, 'pageXOffset', { configurable: true, get: () => dims.sx });
  Object.defineProperty(w, 'pageYOffset', { configurable: true, get: () => dims.sy });
  Object.defineProperty(w, 'scrollX', { configurable: true, get: () => dims.sx });
  Object.defineProperty(w, 'scrollY', { configurable: true, get: () => dims.sy });
  if (o.before) o.before(w);
  if (!o.noSdk) w.eval(await bundle('sdk'));

  const page: Page = {
    w,
    doc: w.document,
    dom,
    clock,
    sent,
    events(type?: string) {
      const all = sent.flatMap((s) => s.body.events);
      return type ? all.filter((e: any) => e.type === type) : all;
    },
    async tick(ms: number) {
      await clock.tickAsync(ms);
    },
    layout(l) {
      Object.assign(dims, l);
    },
    click(el, x = 10, y = 10, init = {}) {
      const MouseEvent = w.MouseEvent;
      const ev = new MouseEvent('click', { bubbles: true, cancelable: true, detail: 1, button: 0, clientX: x - dims.sx, clientY: y - dims.sy, ...init });
      // jsdom's pageX/pageY ignore the stubbed scroll offset: (x, y) are page coordinates
      Object.defineProperty(ev, 'pageX', { value: x });
      Object.defineProperty(ev, 'pageY', { value: y });
      el.dispatchEvent(ev);
    },
    tap(...args) {
      w.tapistry(...args);
    },
    async hide() {
      w.dispatchEvent(new w.Event('pagehide'));
      await clock.tickAsync(0);
    },
    async internals() {
      // the bundle may start with 'use strict', which keeps its top-level var inside the eval
      if (!w.__tapInternals) w.eval((await bundle('internals')) + ';window.__tapInternals = __tapInternals;');
      return w.__tapInternals;
    },
  };
  return page;
}

/** A DOM-only window for pure internals tests (selector, sanitize, hash). */
export async function internals(html = '<!doctype html><html><body></body></html>', url = ORIGIN + '/'): Promise<{ w: any; I: any }> {
  const p = await makePage({ html, url, noSdk: true });
  return { w: p.w, I: await p.internals() };
}
