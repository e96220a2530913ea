// The hook of the heatmap snapshot (docs/sdk.md "Snapshots"): decides, cheaply and locally,
// whether this page view may send a DOM snapshot, and if so loads the capture code — a separate
// chunk, /v1/snapshot.js — which asks the server last and does all the work in idle time.
// Everything here must stay tiny: it ships in the ≤ 8 KB core.
//
// Rule: 2 s after a page view (and after `load`), at most one snapshot per (path, viewport bucket)
// per 24 h per browser, or sooner when the page's structure changed (a hash of tag names and child
// counts of the first 2,000 elements in <body>) and the last one is over an hour old (pages whose
// structure differs on every view would otherwise send one per view). The record lives in
// localStorage `_tapsnap` ({bucket+path: [ms, hash]}, pruned after 24 h); cookieless, or when
// storage fails, 1 page view in 20 sends one instead. The chunk then asks the server (GET /s with
// the hash) whether it wants one at all, so a busy page is captured about once a day in total.

import { flush } from './transport';
import { cfg } from './config';
import { later, log, now, on, stats } from './env';
import { page } from './events';
import { dims } from './layout';

const KEY = '_tapsnap';
const DAY = 864e5;
let timer = 0;

/** A page view started (and was sent): check again in 2 s. */
export function snapSoon(): void {
  clearTimeout(timer);
  if (cfg.snapshots && cfg.endpoint) timer = later(check, 2000);
}

function check(): void {
  const d = document;
  // not loaded yet: start the 2 s again from `load`
  if (d.readyState != 'complete') return on(window, 'load', snapSoon);
  const all = d.body.getElementsByTagName('*');
  let h = 0;
  for (let i = 0, e; i < 2000 && (e = all[i]); i++) h = (h * 31 + e.childElementCount + e.tagName.length * 99) | 0;
  const k = KEY + [480, 768, 1024, 1440].filter((x) => dims.vw >= x).length + page.path;
  let ok = 0;
  try {
    // the chunk records a capture the server took or refused for good (capture.ts): until then,
    // each page view may try again, so a visitor who leaves early does not block the day
    if (cfg.persistence != 'none') {
      const r = (localStorage.getItem(k) || '').split(' ');
      if (now() - +r[0]! < (+r[1]! == h ? DAY : DAY / 24)) return;
      ok = 1;
    }
  } catch (e) {
    // storage blocked or full: sample instead
  }
  if (ok || Math.random() < 0.05) {
    // the page view first: a project without allowed origins takes snapshots only from an origin
    // its events came from
    flush();
    chunk('snapshot', { c: cfg, p: page, s: stats, l: log, h, k });
  }
}

/**
 * Inserts a lazy chunk, `/v1/<name>.js` next to the endpoint, with its context on the element
 * (`.t`, read back through `document.currentScript`). Shared with the live-frame hook (api.ts).
 */
export function chunk(name: string, t: object): void {
  const s = document.createElement('script') as HTMLScriptElement & { t?: object };
  s.src = cfg.endpoint.replace(/\/i$/, '') + '/v1/' + name + '.js';
  s.t = t;
  document.head.appendChild(s);
}
