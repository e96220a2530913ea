// Clicks and taps. The capture-phase listener only copies numbers (page coordinates, the cached
// document size) and element references into `raw` and starts the mutation watch — no layout read,
// no selector work. Everything else runs after the next frame (when layout is clean): the selector
// and its hash, the element-relative position, double-click debounce, rage detection (≥ 3 clicks
// within 1 s and 30 px: the third is flagged, the rest of the burst dropped), and dead-click
// detection (no DOM mutation, route change or page exit within 2.5 s: the click is held until then
// and sent with props.dead), and props.fixed for clicks on a fixed / sticky element. Keyboard activations are recorded without coordinates.

import { cfg } from './config';
import { guard, later, now, on, unit } from './env';
import type { Props } from '@tapistry/types';
import { emit, page, type Fields } from './events';
import { fnv1a64 } from './hash';
import { dims } from './layout';
import { selectorOf } from './selector';

export const IGNORE = '[data-tapistry-ignore]';
const TARGET =
  'a,button,input,select,textarea,label,summary,[role=button],[role=link],[role=tab],[role=menuitem],[role=checkbox],[onclick]';
/** Clicks on these do something without touching the DOM (focus, caret, native UI). */
const NO_DEAD = 'input,select,textarea,label,option,video,audio,[download],[contenteditable],[contenteditable] *';
const DEAD_MS = 2500;

interface Raw {
  t: number;
  x: number;
  y: number;
  w: number;
  h: number;
  el: Element;
  b: number;
  /** keyboard activation: no coordinates */
  k: boolean;
}

let raw: Raw[] = [];
let held: Array<{ t: number; f: Fields }> = [];
let scheduled = false;
let lastChange = 0;
let mo: MutationObserver | undefined;
let observing = false;
let deadTimer = 0;
let recent: Raw[] = [];
let raging = false;
let touch: { x: number; y: number; t: number; el: EventTarget | null } | undefined;
let tap: Raw | undefined;

function watchMutations(): void {
  if (observing) return;
  mo = mo || new MutationObserver(guard(changed));
  mo.observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
  observing = true;
}

function changed(recs: MutationRecord[]): void {
  // the snapshot loader's own <script> (core/snap.ts marks it with .t) is not the page reacting
  if (recs.every((r) => ((r.addedNodes[0] || {}) as { t?: object }).t)) return;
  if (mo) mo.disconnect();
  observing = false;
  noteChange();
}

/** Something happened (DOM mutation, route change, page hidden): held clicks were not dead. */
export function noteChange(): void {
  lastChange = now();
  const h = held;
  held = [];
  h.forEach((c) => emit('click', c.f, c.t));
}

function expire(): void {
  deadTimer = 0;
  const t = now();
  while (held.length && held[0]!.t + DEAD_MS <= t) {
    const h = held.shift()!;
    if (lastChange < h.t) h.f.props!.dead = true;
    emit('click', h.f, h.t);
  }
  if (held.length) deadTimer = later(expire, held[0]!.t + DEAD_MS - t);
  else if (!raw.length && mo && observing) {
    mo.disconnect();
    observing = false;
  }
}

/** A mouse click, auxclick or context menu at its page point: button `b`, keyboard `k`. */
const mouse = (e: MouseEvent, b: number, k: boolean): void => record(e.target, e.pageX, e.pageY, b, k);

function record(target: EventTarget | null, x: number, y: number, b: number, k: boolean): void {
  const t0 = target as Element | null;
  if (!cfg.clicks || !t0 || !t0.closest || t0.closest(IGNORE)) return;
  const el = t0.closest(TARGET) || ((t0 as SVGElement).ownerSVGElement && t0.closest('svg')) || t0;
  raw.push({ t: now(), x, y, w: dims.w, h: dims.h, el, b, k });
  watchMutations();
  if (!scheduled) {
    scheduled = true;
    // every ES2017 browser has requestAnimationFrame and MutationObserver
    requestAnimationFrame(guard(() => later(processClicks, 0)));
  }
}

/** Turns raw clicks into events (runs after a frame, or synchronously at page exit). */
export function processClicks(): void {
  scheduled = false;
  const list = raw;
  raw = [];
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    let rage = false;
    if (!r.k) {
      recent = recent.filter((p) => r.t - p.t <= 1000 && Math.abs(p.x - r.x) <= 30 && Math.abs(p.y - r.y) <= 30);
      recent.push(r);
      if (recent.length >= 3) {
        if (raging) continue;
        raging = rage = true;
      } else {
        raging = false;
        if (recent.length === 2 && r.t - recent[0]!.t <= 500) continue; // second click of a double-click
      }
    }
    const el = r.el;
    const sel = selectorOf(el);
    const props: Props = { button: r.b };
    if (rage) props.rage = true;
    const f: Fields = { url: page.url, path: page.path, selector: sel || undefined, selector_hash: sel ? fnv1a64(sel) : undefined, props };
    if (!r.k) {
      // Page coordinates -> viewport coordinates of the click (layout is clean here).
      const cx = r.x - scrollX;
      const cy = r.y - scrollY;
      // On a fixed / sticky element the click is where the element sits in the viewport, and the
      // snapshot (taken at the top of the page) shows it there: its document point is the viewport
      // point, not the scrolled page point — else a sticky nav click lands deep in the page.
      let a: Element | null = el;
      while (a && !/fixed|sticky/.test(getComputedStyle(a).position)) a = a.parentElement;
      if (a) props.fixed = true;
      if (r.w > 0 && r.h > 0) {
        f.x = unit((a ? cx : r.x) / r.w, 5);
        f.y = unit((a ? cy : r.y) / r.h, 5);
      }
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.height > 0) {
        f.ex = unit((cx - box.left) / box.width, 3);
        f.ey = unit((cy - box.top) / box.height, 3);
      }
    }
    if (lastChange >= r.t || el.closest(NO_DEAD)) {
      emit('click', f, r.t);
    } else {
      held.push({ t: r.t, f });
      if (!deadTimer) deadTimer = later(expire, held[0]!.t + DEAD_MS - now());
    }
  }
}

/** The page is going away or hidden: process what is pending, count it as a change. */
export function endClicks(): void {
  if (tap) {
    raw.push(tap);
    tap = undefined;
  }
  processClicks();
  noteChange();
}

export function watchClicks(): void {
  const w = window;
  on(w, 'click', (e: MouseEvent) => {
    tap = undefined;
    if (e.button || (!e.detail && !e.isTrusted)) return; // programmatic el.click()
    // pageX/Y: in every ES2017 browser
    mouse(e, 0, !e.detail);
  }, true);
  on(w, 'auxclick', (e: MouseEvent) => {
    if (e.button === 1) mouse(e, 1, false);
  }, true);
  on(w, 'contextmenu', (e: MouseEvent) => mouse(e, 2, false), true);
  // A tap whose click the page suppressed (preventDefault on touchend) is still a tap.
  on(w, 'touchstart', (e: TouchEvent) => {
    const t = e.touches;
    touch = t.length === 1 ? { x: t[0]!.pageX, y: t[0]!.pageY, t: now(), el: e.target } : undefined;
  }, true);
  on(w, 'touchend', (e: TouchEvent) => {
    const s = touch;
    const c = e.changedTouches[0];
    touch = undefined;
    if (!s || !c || Math.abs(c.pageX - s.x) > 10 || Math.abs(c.pageY - s.y) > 10 || now() - s.t > 800) return;
    const mine: Raw = { t: now(), x: c.pageX, y: c.pageY, w: dims.w, h: dims.h, el: s.el as Element, b: 0, k: false };
    tap = mine;
    later(() => {
      if (tap === mine) {
        tap = undefined;
        record(mine.el, mine.x, mine.y, 0, false);
      }
    }, 400);
  }, true);
}
