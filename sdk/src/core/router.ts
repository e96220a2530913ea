// Page views (spec §3.5, §17.3): one on load, and one per route change seen through the History
// API (pushState and replaceState are wrapped; popstate and hashchange are listened to), debounced
// by 200 ms so a redirect chain or a router that pushes then replaces gives a single page view.
// A "route change" is a change of the sanitized URL — path, allowlisted query or hash route — so
// replaceState calls that only store state (Next.js does one at start-up) or change other query
// parameters, and in-page anchors, are not page views.

import { cfg } from './config';
import { later, on } from './env';
import { emit, page } from './events';
import { endScroll, startScroll } from './scroll';
import { cleanProps, cut, normalizePath, sanitizeUrl, utmOf } from './sanitize';
import { redact } from './pii';
import { snapSoon } from './snap';

let first = true;
let debounce = 0;
/** Listeners notified on every history/hash change (the dead-click detector). */
export const routeHooks: Array<() => void> = [];

export function currentUrl(): string {
  return sanitizeUrl(location.href, cfg.queryAllowlist);
}

/** Points later events at `url` without a page view (autoPageviews off). */
export function setPage(url: string): void {
  page.url = url;
  page.path = normalizePath(url);
}

/** Starts a page view of the current location, or of `path`/`title` given by page(). */
export function pageView(path?: string, title?: string, props?: unknown): void {
  endScroll();
  const prev = page.path;
  let ref = '';
  let prevPath = prev;
  if (first) {
    ref = sanitizeUrl(document.referrer, []);
    // a same-origin referrer is the previous page of a multi-page site
    if (ref && ref.indexOf(location.origin + '/') === 0) prevPath = normalizePath(ref);
  }
  first = false;
  setPage(path ? sanitizeUrl(location.origin + (path.charAt(0) === '/' ? '' : '/') + path, cfg.queryAllowlist) : currentUrl());
  const p = cleanProps(props) || {};
  if (prevPath) p.prev_path = prevPath;
  if (emit('page_view', {
    title: cut(redact(title || document.title || ''), 512),
    referrer: ref || undefined,
    utm: utmOf(location.href),
    props: p,
  })) snapSoon();
  startScroll();
}

function check(): void {
  debounce = 0;
  const url = currentUrl();
  if (url !== page.url) {
    if (cfg.autoPageviews) pageView();
    else setPage(url);
  }
}

function changed(): void {
  // any history or hash activity (an in-page anchor too) means the last click did something
  routeHooks.forEach((f) => f());
  clearTimeout(debounce);
  debounce = later(check, 200);
}

export function watchRoutes(): void {
  const h = history as History & Record<string, unknown>;
  ['pushState', 'replaceState'].forEach((name) => {
    const orig = h[name] as (...a: unknown[]) => unknown;
    if (typeof orig !== 'function') return;
    h[name] = function (this: History, ...args: unknown[]) {
      const r = orig.apply(this, args);
      try {
        changed();
      } catch (e) {
        // never disturb the page's navigation
      }
      return r;
    };
  });
  on(window, 'popstate', changed);
  on(window, 'hashchange', changed);
}
