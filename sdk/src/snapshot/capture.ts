// One snapshot, start to finish: ask the server whether it wants one (GET /s), wait for an idle period, serialize in slices (abandoned if the
// page view changes meanwhile), encode within the cap, POST to `/s`, count the outcome in the
// SDK's stats (`snapshots`, `snapshotsDropped`). Records in localStorage (`_tapsnap…`, the key
// the core passes) that this path and width is done for now — only once the server has a current
// one, took this one, or refused it for good (4xx other than 429), so a capture cut short by the
// visitor leaving is tried again on the next page view — and prunes records older than 24 h.

import type { SnapshotPost } from '@tapistry/types';
import type { Config } from '../core/config';
import { idle, sliced } from './idle';
import { encode, fits, MAX_BYTES, post } from './send';
import { serializer } from './serialize';

export interface SnapContext {
  /** the SDK's config (key, endpoint, maskText, queryAllowlist, persistence) */
  c: Config;
  /** the current page view; its url changing means the capture is stale */
  p: { url: string; path: string };
  /** the SDK's counters (tapistry.stats()) */
  s: Record<string, number>;
  l: (...a: unknown[]) => void;
  /** the page-structure hash the hook computed (core/snap.ts) */
  h?: number;
  /** the hook's localStorage record for this path and width (`_tapsnap…`) */
  k?: string;
}

const DAY = 864e5;

function count(s: Record<string, number>, k: string): void {
  s[k] = (s[k] || 0) + 1;
}

/** Removes the hook's records of snapshots sent over 24 h ago. */
export function prune(now: number): void {
  try {
    const ls = localStorage;
    for (let i = ls.length; i--; ) {
      const k = ls.key(i);
      if (k && k.indexOf('_tapsnap') === 0 && !(now - +(ls.getItem(k) || '').split(' ')[0]! < DAY)) ls.removeItem(k);
    }
  } catch (e) {
    // storage blocked: nothing to prune
  }
}

/**
 * Asks the server whether it wants a snapshot of this page at this width (GET /s, docs/api.md):
 * not when it has a recent one of the same structure. Answers yes when the server cannot say
 * (an older server, a network error), no when it is busy (429).
 */
export async function wanted(base: string, key: string, url: string, hash: number): Promise<boolean> {
  try {
    const q = '?k=' + encodeURIComponent(key) + '&u=' + encodeURIComponent(url) + '&w=' + Math.round(innerWidth) + '&h=' + hash;
    const res = await fetch(base + '/s' + q, { credentials: 'omit' });
    if (res.status == 429) return false;
    if (!res.ok) return true;
    return ((await res.json()) as { want?: boolean }).want !== false;
  } catch (e) {
    return true;
  }
}

/** Captures and sends one snapshot; resolves when done, never rejects. */
export async function capture(ctx: SnapContext): Promise<void> {
  const c = ctx.c;
  const p = ctx.p;
  const s = ctx.s;
  const l = ctx.l;
  try {
    if (c.persistence !== 'none') prune(Date.now());
    const url = p.url;
    const base = c.endpoint.replace(/\/i$/, '');
    const hash = ctx.h || 0;
    const done = () => {
      try {
        if (c.persistence !== 'none' && ctx.k) localStorage.setItem(ctx.k, Date.now() + ' ' + hash);
      } catch (e) {
        // storage blocked or full: the core samples instead
      }
    };
    if (!(await wanted(base, c.key, url, hash))) {
      done();
      return l('snapshot: the server has a current one');
    }
    // an idle moment to start in, but not the 2 s default: after user input Chromium may give none
    await new Promise<number>((r) => idle(r, 500));
    const t0 = performance.now();
    const ser = serializer(document, { maskText: c.maskText, queryAllowlist: c.queryAllowlist });
    if (!(await sliced(ser.step, () => p.url !== url))) return l('snapshot: page changed, abandoned');
    const r = ser.result;
    const meta: Omit<SnapshotPost, 'html'> = { k: c.key, url, viewport: r.viewport, doc: r.doc, h: hash };
    // the html is streamed in after this head: '{…,"html":"' + escaped pieces + '"}'
    const head = JSON.stringify(meta).slice(0, -1) + ',"html":"';
    let e = await encode(head, r, false);
    // compresses too well for the server's bomb guard (a very repetitive page): send it plain
    if (!fits(e) && e.gz && e.raw <= MAX_BYTES) e = await encode(head, r, false, true);
    if (!fits(e) && r.heavy.length) e = await encode(head, r, true);
    const ms = Math.round(performance.now() - t0);
    if (!fits(e)) {
      count(s, 'snapshotsDropped');
      return l('snapshot: too big, dropped', e.bytes, e.raw);
    }
    const res = await post(base + '/s?k=' + encodeURIComponent(c.key), e);
    count(s, res.ok ? 'snapshots' : 'snapshotsDropped');
    if (res.status < 500 && res.status != 429) done();
    l('snapshot', res.status, { bytes: e.bytes, gz: e.gz, ms, parts: r.parts.length });
  } catch (e) {
    count(s, 'errors');
    l('snapshot: error', e);
  }
}
