// URL rewriting for snapshots: the dashboard renders the snapshot away from the customer's site
// (no <base>, another origin), so every asset URL is made absolute; links become sanitized page
// URLs; anything that could run or navigate (javascript:, vbscript:, data:text/html…) is dropped.
// PII is redacted through percent-encoding too (`%40` for @, `+` for a space in a query), and in
// the text of SVG and CSS data: URLs.

import { redact } from '../core/pii';
import { sanitizeUrl } from '../core/sanitize';

/** data: URLs that are page assets (images, fonts, CSS): kept as they are. */
const DATA_ASSET = /^data:(?:image\/|font\/|application\/(?:font|x-font)|text\/css)/i;

/** data: URLs whose payload is text (which can say anything): checked for PII like any text. */
const DATA_TEXT = /^data:(?:image\/svg|text\/css)/i;
const PCT = /%[0-9a-f]{2}/i;

/** Percent-decoding, byte by byte, repeated (up to 3 levels: `%2540` is `%40` is @); never throws. */
export function pctDecode(s: string): string {
  for (let i = 0; i < 3 && PCT.test(s); i++) {
    s = s.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return s;
}

/** `redact`, also seeing through percent-encoding: what only shows decoded is redacted decoded. */
export function redactDeep(s: string): string {
  const r = redact(s);
  const d = pctDecode(r);
  if (d === r) return r;
  const rd = redact(d);
  return rd === d ? r : rd;
}

/** The payload of a data: URL as text ([head, text]), or null when it cannot be decoded. */
export function dataText(s: string): [string, string] | null {
  const m = /^(data:[^,]*?)(;base64)?,([\s\S]*)$/i.exec(s);
  if (!m) return null;
  const body = m[3]!;
  try {
    return [m[1]!, m[2] ? decodeURIComponent(escape(atob(body))) : decodeURIComponent(body)];
  } catch (e) {
    // not UTF-8 (or not base64): bytes as characters are enough to find PII, which is ASCII
    try {
      return [m[1]!, m[2] ? atob(body) : pctDecode(body)];
    } catch (e2) {
      return null;
    }
  }
}

/** A data: URL of `text` (percent-encoded UTF-8); '' when it cannot be encoded. */
export function dataUrl(head: string, text: string): string {
  try {
    return head + ',' + encodeURIComponent(text);
  } catch (e) {
    return ''; // a lone surrogate
  }
}

/**
 * An asset URL (img src, stylesheet href, poster, CSS url()) made absolute against `base`, PII
 * redacted (also percent-encoded, and in SVG and CSS data: URLs); '' when it is not http(s) or an
 * asset data: URL (javascript:, blob:, about:…).
 */
export function assetUrl(v: string, base: string): string {
  const s = v.trim();
  if (!s) return '';
  if (/^data:/i.test(s)) {
    if (!DATA_ASSET.test(s)) return '';
    if (!DATA_TEXT.test(s)) return s; // image and font bytes
    const t = dataText(s);
    if (!t) return '';
    const r = redactDeep(t[1]);
    return r === t[1] ? s : dataUrl(t[0], r);
  }
  let u: URL;
  try {
    u = new URL(s, base);
  } catch (e) {
    return '';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return '';
  const r = redact(u.href);
  // what only shows decoded: %40 for @, and in a query + for a space (a card number's groups)
  const d = pctDecode(r.replace(/\+/g, ' '));
  const rd = d === r ? d : redact(d);
  if (rd === d) return r;
  try {
    return new URL(rd).href;
  } catch (e) {
    return '';
  }
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
