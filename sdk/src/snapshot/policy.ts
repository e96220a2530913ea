// The masking policy of everything the SDK copies out of the page: heatmap snapshots (serialize.ts)
// and session replay (src/replay) — one policy, so a rule added for one protects the other
// (docs/sdk.md "What is captured", docs/replay.md "Privacy"). It decides, for an element, whether
// it is left out, replaced by an empty box of its size, or kept (and whether its subtree is
// masked); for an attribute, the value kept or none; for text, the masked or redacted string. CSS
// goes through css.ts `maskCss`, URLs through urls.ts.
//
// Never reads `.value` of any form field (so passwords and card numbers cannot leak): only the
// authored attributes, and of those no `value` but a button's label.

import { redact } from '../core/pii';
import { cssAsset, type CssMaskOptions, maskCss } from './css';
import { mask } from './mask';
import { assetUrl, linkUrl, srcset } from './urls';

export interface PolicyOptions {
  /** Mask all text (the `maskText` option); [data-tapistry-mask] subtrees are masked regardless. */
  maskText: boolean;
  /** Query parameters kept in link URLs (the `queryAllowlist` option). */
  queryAllowlist: string[];
  /** Replay: CSS selectors (comma-joined) whose text is shown although maskText is on. */
  allow?: string;
  /** Replay: CSS selectors whose subtrees are masked like [data-tapistry-mask]. */
  mask?: string;
  /** Replay: CSS selectors whose elements are left out like [data-tapistry-ignore]. */
  ignore?: string;
  /**
   * Replay: a same-origin <link rel=stylesheet> whose rules the page can read is recorded by its
   * rules, as a <style> (like a <style> element), not as its URL.
   */
  sheets?: boolean;
}

/** A policy bound to a document: its base URL and the CSS options derived from the options. */
export interface Policy extends PolicyOptions {
  base: string;
  css: CssMaskOptions;
  cssMasked: CssMaskOptions;
}

export const XHTML = 'http://www.w3.org/1999/xhtml';
export const IGNORE = 'data-tapistry-ignore';
export const MASK = 'data-tapistry-mask';
/** Elements that are left out with everything inside them. */
const DROP = /^(?:script|noscript|template|base|xmp|plaintext|noembed|noframes|frameset|param)$/;
/** Embedded content: replaced by an empty box of its size. */
export const REPLACED = /^(?:iframe|frame|canvas|video|audio|embed|object|applet|portal)$/;
export const VOID = /^(?:area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)$/;
/** Attributes never kept: anything that runs, navigates, loads a document, or pins a request. */
const DROP_ATTR = /^(?:on.*|srcdoc|nonce|integrity|crossorigin|autofocus|ping|action|formaction|http-equiv|referrerpolicy|fetchpriority)$/;
/** Attributes holding human-readable text: masked like text. */
const TEXT_ATTR = /^(?:alt|title|placeholder|label|summary|abbr|aria-label|aria-description|aria-valuetext|aria-placeholder|aria-roledescription|content)$/;
/** Asset URL attributes, made absolute. */
const URL_ATTR = /^(?:src|poster|background|data|xlink:href|lowsrc)$/;
/** Elements whose `value` is user data (a form field's value, an option's value). */
const VALUE_TAGS = /^(?:input|option|select|textarea|button|data|output)$/;
const SCRIPTY = /^\s*(?:javascript|vbscript|livescript):/i;
/** A data: URL over 1 KB inside an attribute or CSS (heavy: dropped first over the cap). */
export const BIG_DATA_URL = /data:[^"')\s]{1024,}/g;
const PLACEHOLDER_BG = 'background:repeating-linear-gradient(45deg,#eceef1 0 6px,#e1e4e8 6px 12px)';
export const PLACEHOLDER_SELECTOR = `iframe,frame,canvas,video,audio,embed,object,applet,portal,[${IGNORE}],[${MASK}] img`;

export interface Box {
  w: number;
  h: number;
  /** computed display */
  d: string;
}

export function policy(doc: Document, o: PolicyOptions): Policy {
  const base = doc.baseURI || doc.URL;
  return { ...o, base, css: { base, maskText: o.maskText }, cssMasked: { base, maskText: true } };
}

/** `el.matches(sel)` that never throws (a customer's selector may be invalid). */
function matches(el: Element, sel: string | undefined): boolean {
  try {
    return !!sel && el.matches(sel);
  } catch (e) {
    return false;
  }
}

export function measure(el: Element, win: Window): Box {
  const h = el as HTMLElement;
  let w = h.offsetWidth;
  let ht = h.offsetHeight;
  if (w === undefined) {
    const r = el.getBoundingClientRect();
    w = r.width;
    ht = r.height;
  }
  let d = 'inline';
  try {
    d = win.getComputedStyle(el).display || d;
  } catch (e) {
    // not an element of a window (detached)
  }
  return { w: Math.round(w || 0), h: Math.round(ht || 0), d };
}

/**
 * What becomes of an element: 'drop' (left out with its subtree), a placeholder kind ('ignore',
 * 'img' for an image in a masked subtree, or the tag of embedded content: 'iframe', 'canvas'…),
 * or '' (kept).
 */
export function kindOf(el: Element, html: boolean, masked: boolean, p: Policy): string {
  const tag = el.localName;
  if (html) {
    if (DROP.test(tag)) return 'drop';
    if (tag === 'meta' && !el.hasAttribute('charset') && el.getAttribute('name') !== 'viewport') return 'drop';
    if (tag === 'link') {
      const rel = (el.getAttribute('rel') || '').toLowerCase();
      if (!/(?:^|\s)stylesheet(?:\s|$)/.test(rel) || !assetUrl(el.getAttribute('href') || '', p.base)) return 'drop';
    }
  } else if (tag === 'script') return 'drop';
  if (el.hasAttribute(IGNORE) || matches(el, p.ignore)) return 'ignore';
  if (html && REPLACED.test(tag)) return tag;
  if (masked && html && tag === 'img') return 'img';
  return '';
}

/** Whether an element's subtree is masked (inside one that is, or marked itself). */
export function masks(el: Element, parentMasked: boolean, p: Policy): boolean {
  return parentMasked || el.hasAttribute(MASK) || matches(el, p.mask);
}

/** Whether the text directly inside `el` is shown (maskText off, or an allow-listed element). */
function shown(el: Element | null, p: Policy): boolean {
  if (!p.maskText) return true;
  if (!p.allow || !el) return false;
  try {
    return !!el.closest(p.allow);
  } catch (e) {
    return false;
  }
}

/** Text as copied out: masked (same length), or PII-redacted where text is shown. */
export function textOf(s: string, masked: boolean, p: Policy, parent?: Element | null): string {
  return masked || !shown(parent || null, p) ? mask(s) : redact(s);
}

/** CSS text as copied out (css.ts). */
export function cssOf(s: string, masked: boolean, p: Policy): string {
  return maskCss(s, masked ? p.cssMasked : p.css);
}

/**
 * The value an attribute keeps (`ln`: its lowercase name), or null when it is left out. `type`:
 * an HTML input's lowercase type attribute.
 */
export function attrOf(
  el: Element, tag: string, html: boolean, masked: boolean, ln: string, v: string, type: string, p: Policy,
): string | null {
  if (DROP_ATTR.test(ln) || SCRIPTY.test(v)) return null;
  if (ln === 'value' && html && VALUE_TAGS.test(tag)) {
    // a button's label is layout, not data; every other value is left out
    return /^(?:submit|button|reset)$/.test(type) ? textOf(v, masked, p, el) : null;
  }
  if (TEXT_ATTR.test(ln) && !(html && tag === 'meta')) return textOf(v, masked, p, el);
  if (ln === 'style') return cssOf(v, masked, p);
  if (ln === 'srcset') return srcset(v, p.base) || null;
  if (ln === 'href' || ln === 'xlink:href') {
    // an SVG reference inside the document (use, gradients): stays as it is
    if (v.charAt(0) === '#' && !html) return v;
    if (html && (tag === 'a' || tag === 'area')) {
      let abs = v;
      try {
        abs = new URL(v, p.base).href;
      } catch (e) {
        // sanitized below
      }
      return linkUrl(abs, p.queryAllowlist);
    }
    return (html && tag === 'link' ? cssAsset(v, masked ? p.cssMasked : p.css) : assetUrl(v, p.base)) || null;
  }
  if (URL_ATTR.test(ln)) {
    return assetUrl(html && tag === 'img' && ln === 'src' ? (el as HTMLImageElement).currentSrc || v : v, p.base) || null;
  }
  // an inline asset in another attribute: left as it is
  return /^data:/i.test(v) ? v : redact(v);
}

/** Every attribute an element keeps, in document order, as [name, value] pairs. */
export function attrsOf(el: Element, tag: string, html: boolean, masked: boolean, p: Policy): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const list = el.attributes;
  const type = html && tag === 'input' ? (el.getAttribute('type') || '').toLowerCase() : '';
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    const v = attrOf(el, tag, html, masked, a.name.toLowerCase(), a.value, type, p);
    if (v !== null) out.push([a.name, v]);
  }
  if (html && tag === 'img' && !el.hasAttribute('src') && (el as HTMLImageElement).currentSrc) {
    const cur = assetUrl((el as HTMLImageElement).currentSrc, p.base);
    if (cur) out.push(['src', cur]);
  }
  return out;
}

/**
 * The element that stands in for a left-out one (`kind`: kindOf's answer) — an empty box of its
 * size with the same id and class — as [tag, attributes].
 */
export function placeholder(el: Element, kind: string, html: boolean, b: Box, p: Policy): [string, Array<[string, string]>] {
  const own = el.localName;
  const tag = kind === 'ignore' && html && !VOID.test(own) && !REPLACED.test(own) ? own : 'div';
  let style = cssOf(el.getAttribute('style') || '', true, p).replace(/;?\s*$/, ';');
  if (style === ';') style = '';
  if (b.d === 'none') style += 'display:none;';
  else {
    if (b.d === 'inline') style += 'display:inline-block;';
    else if (tag === 'div' && b.d !== 'block') style += 'display:' + b.d + ';';
    style += 'width:' + b.w + 'px!important;height:' + b.h + 'px!important;box-sizing:border-box;overflow:hidden;';
  }
  style += PLACEHOLDER_BG;
  const a: Array<[string, string]> = [['data-tapistry-placeholder', kind]];
  const id = el.getAttribute('id');
  const cls = el.getAttribute('class');
  if (id) a.push(['id', redact(id)]);
  if (cls) a.push(['class', redact(cls)]);
  a.push(['style', style]);
  return [tag, a];
}
