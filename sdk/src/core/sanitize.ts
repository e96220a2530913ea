// URL sanitizer and path normalization (spec §9 and Appendix D), UTM extraction, and the property
// cleaner. Everything that leaves the page as a URL, path, title or property passes through here.

import { redact } from './pii';

/** The UTM parameters: kept in URLs by default, and sent as a page view's `utm` (without `utm_`). */
export const UTM = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];

/** Truncates to `n` UTF-16 units (wire limits are in characters). */
export const cut = (s: string, n: number): string => (s.length > n ? s.slice(0, n) : s);

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch (e) {
    return s;
  }
}

/**
 * Keeps scheme, host and path of an http(s) URL, and only the allowlisted query parameters
 * (values PII-redacted); drops credentials and the fragment, except a hash route (`#/…`, `#!…`),
 * which single-page apps use as their path. Redacts PII in the path. '' when not http(s).
 */
export function sanitizeUrl(u: string, allow: string[]): string {
  let url: URL;
  try {
    url = new URL(u, location.href);
  } catch (e) {
    return '';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '';
  url.username = '';
  url.password = '';
  const keep = new URLSearchParams();
  url.searchParams.forEach((v, k) => {
    if (allow.indexOf(k) >= 0) keep.append(k, cut(redact(v), 256));
  });
  url.search = keep.toString();
  const route = /^#!?\//.test(url.hash) ? redact(decode(url.hash)) : '';
  url.hash = '';
  const p = decode(url.pathname);
  const clean = redact(p);
  if (clean !== p) url.pathname = clean;
  return cut(url.href + route, 2048);
}

/** Spec §9: lowercase, collapse slashes, no trailing slash (but '/'), no /index(.html), no query. */
export function normalizePath(u: string): string {
  let p: string;
  try {
    p = new URL(u, location.href).pathname;
  } catch (e) {
    return '/';
  }
  p = redact(decode(p))
    .toLowerCase()
    .replace(/\/{2,}/g, '/')
    .replace(/\/index(\.html?)?$/, '')
    .replace(/\/+$/, '');
  return p || '/';
}

/** UTM parameters of a URL, keys without the `utm_` prefix; undefined when there are none. */
export function utmOf(u: string): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  try {
    new URL(u).searchParams.forEach((v, k) => {
      if (v && UTM.indexOf(k) >= 0) (out = out || {})[k.slice(4)] = cut(redact(v), 256);
    });
  } catch (e) {
    // not a URL: no UTM
  }
  return out;
}

export type { PropValue } from '@tapistry/types';
import type { PropValue } from '@tapistry/types';

/**
 * A flat property bag within the wire limits (≤ 50 keys, ≤ 4 KB as JSON): strings are redacted
 * and cut to 256 chars, finite numbers, booleans and null are kept, anything else is dropped.
 */
export function cleanProps(p: unknown): Record<string, PropValue> | undefined {
  if (!p || typeof p !== 'object') return undefined;
  const src = p as Record<string, unknown>;
  const out: Record<string, PropValue> = {};
  let n = 0;
  let size = 2;
  for (const k in src) {
    if (!({}).hasOwnProperty.call(src, k) || n >= 50) continue;
    let v = src[k];
    if (typeof v === 'string') v = cut(redact(v), 256);
    else if (!(v === null || typeof v === 'boolean' || (typeof v === 'number' && isFinite(v)))) continue;
    const key = cut(redact(k), 64);
    const add = JSON.stringify(key).length + JSON.stringify(v).length + 2;
    if (size + add > 4000) continue;
    size += add;
    out[key] = v as PropValue;
    n++;
  }
  return n ? out : undefined;
}
