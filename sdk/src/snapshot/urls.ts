// URL rewriting for snapshots: the dashboard renders the snapshot away from the customer's site
// (no <base>, another origin), so every asset URL is made absolute; links become sanitized page
// URLs; anything that could run or navigate (javascript:, vbscript:, data:text/html…) is dropped.

import { redact } from '../core/pii';
import { sanitizeUrl } from '../core/sanitize';

/** data: URLs that are page assets (images, fonts, CSS): kept as they are. */
const DATA_ASSET = /^data:(?:image\/|font\/|application\/(?:font|x-font)|text\/css)/i;

/**
 * An asset URL (img src, stylesheet href, poster, CSS url()) made absolute against `base`, PII
 * redacted; '' when it is not http(s) or an asset data: URL (javascript:, blob:, about:…).
 */
export function assetUrl(v: string, base: string): string {
  const s = v.trim();
  if (!s) return '';
  if (/^data:/i.test(s)) return DATA_ASSET.test(s) ? s : '';
  let u: URL;
  try {
    u = new URL(s, base);
  } catch (e) {
    return '';
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? redact(u.href) : '';
}

/** A link (a/area href): the page URL as events send it (no query but allowlisted, no fragment). */
export function linkUrl(v: string, allow: string[]): string {
  return sanitizeUrl(v.trim(), allow) || '#';
}

/**
 * `srcset` (and `<source srcset>`), parsed as HTML does: a URL is a run of non-spaces (trailing
 * commas end it), then descriptors up to the next comma. Each URL is made absolute; candidates
 * that are not assets are dropped.
 */
export function srcset(v: string, base: string): string {
  const out: string[] = [];
  const re = /[\s,]*(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v))) {
    let u = m[1]!;
    let desc = '';
    if (/,$/.test(u)) u = u.replace(/,+$/, '');
    else {
      const end = v.indexOf(',', re.lastIndex);
      desc = v.slice(re.lastIndex, end < 0 ? v.length : end).trim();
      re.lastIndex = end < 0 ? v.length : end + 1;
    }
    const a = assetUrl(u, base);
    if (a) out.push(desc ? a + ' ' + desc : a);
  }
  return out.join(', ');
}

/** CSS text with every url(…) and @import "…" made absolute against `base`. */
export function cssUrls(css: string, base: string): string {
  if (css.indexOf('url(') < 0 && css.indexOf('@import') < 0) return css;
  return css
    .replace(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^'")\s]*))\s*\)/gi, (all, dq?: string, sq?: string, bare?: string) => {
      const u = dq !== undefined ? dq : sq !== undefined ? sq : bare || '';
      if (!u || u.charAt(0) === '#') return all; // SVG fragment references stay relative
      const q = dq !== undefined ? '"' : sq !== undefined ? "'" : '';
      return 'url(' + q + assetUrl(u, base) + q + ')';
    })
    .replace(/@import\s+(['"])([^'"]*)\1/gi, (_all, q: string, u: string) => '@import ' + q + assetUrl(u, base) + q);
}
