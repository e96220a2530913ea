// Cached layout figures — document size, viewport, scroll offset — so event handlers never read
// layout (a read after a DOM write forces a synchronous layout). The cache is refreshed by a
// ResizeObserver on <html> and <body> (its callbacks run after layout, when reads are free), on
// resize and, throttled, on scroll; handlers only copy numbers out of it.

import { guard, later, on } from './env';

export const dims = {
  /** document (scrolling element) width and height, CSS px */
  w: 0,
  h: 0,
  /** viewport */
  vw: 0,
  vh: 0,
  /** scroll offset */
  sx: 0,
  sy: 0,
};

const listeners: Array<() => void> = [];

/** Reads layout now and notifies listeners (scroll depth). */
export function measure(): void {
  const d = document;
  const e = d.scrollingElement || d.documentElement;
  dims.w = e.scrollWidth;
  dims.h = e.scrollHeight;
  dims.vw = window.innerWidth;
  dims.vh = window.innerHeight;
  dims.sx = scrollX;
  dims.sy = scrollY;
  listeners.forEach((f) => f());
}

export function onMeasure(fn: () => void): void {
  listeners.push(fn);
}

let pending = 0;

/** Measures at most every `ms`, from a timer (never inside the triggering event). */
export function measureSoon(ms: number): void {
  if (!pending) {
    pending = later(() => {
      pending = 0;
      measure();
    }, ms);
  }
}

export function watchLayout(): void {
  const RO = (window as Window & { ResizeObserver?: typeof ResizeObserver }).ResizeObserver;
  if (RO) {
    const ro = new RO(guard(measure));
    ro.observe(document.documentElement);
    if (document.body) ro.observe(document.body);
  }
  on(window, 'resize', () => measureSoon(100));
  on(window, 'scroll', () => measureSoon(100));
  on(window, 'load', () => measure());
}

/** Device class from the user agent and touch support (no UA parser: spec Appendix H). */
export function deviceClass(): 'desktop' | 'mobile' | 'tablet' {
  const n = navigator as Navigator & { userAgentData?: { mobile?: boolean } };
  const ua = n.userAgent;
  if (/iPad|Tablet|Silk|Kindle/i.test(ua) || (/Android/i.test(ua) && !/Mobile/i.test(ua)) ||
      (/Macintosh/.test(ua) && n.maxTouchPoints > 1)) return 'tablet';
  if ((n.userAgentData && n.userAgentData.mobile) || /Mobi|iPhone|iPod|Android|Opera Mini/i.test(ua)) return 'mobile';
  return 'desktop';
}
