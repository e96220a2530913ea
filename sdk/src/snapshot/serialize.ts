// The masked DOM serializer behind heatmap snapshots (docs/sdk.md "Snapshots"). It turns the live
// document into static HTML the dashboard can render without the customer's site: no script, no
// handler, nothing that navigates, every asset URL absolute, all text masked (mask.ts), form values
// gone, [data-tapistry-ignore] subtrees and embedded content (iframes, canvas, video…) replaced by
// boxes of the same size, [data-tapistry-mask] subtrees masked even when maskText is off.
//
// It is a state machine driven one small unit at a time — an element measured, a node visited, a
// CSS rule (or 16 KB of a big one) masked — so the caller can time-slice it (idle.ts) and no task
// ever runs long, even on a page of 20,000 elements. Layout is read in one pass at the start
// (document size, the boxes of the placeholders), while it is clean after `load`, never in the
// middle of the walk (a read after the page mutated would force a synchronous layout).
//
// Never reads `.value` of any form field (so passwords and card numbers cannot leak): only the
// authored attributes, and of those no `value` but a button's label. Every CSS text (sheets,
// style="" attributes, data:text/css links) goes through one policy, css.ts `maskCss`.

import { redact } from '../core/pii';
import { cssAsset, type CssMaskOptions, cssPieces, maskCss, PIECE } from './css';
import { mask } from './mask';
import { assetUrl, linkUrl, srcset } from './urls';

export interface SerializeOptions {
  /** Mask all text (the `maskText` option); [data-tapistry-mask] subtrees are masked regardless. */
  maskText: boolean;
  /** Query parameters kept in link URLs (the `queryAllowlist` option). */
  queryAllowlist: string[];
}

export interface Size {
  w: number;
  h: number;
}

export interface Serialized {
  /** The HTML in pieces (joined, or streamed into the compressor, by the sender). */
  parts: string[];
  /** Indices of pieces that go first when over the size cap: srcset attributes, big data: URLs. */
  heavy: number[];
  viewport: Size;
  /** The document's scroll size. */
  doc: Size;
}

export interface Serializer {
  /** Does one unit of work; true when the snapshot is complete. */
  step(): boolean;
  result: Serialized;
}

const XHTML = 'http://www.w3.org/1999/xhtml';
const IGNORE = 'data-tapistry-ignore';
const MASK = 'data-tapistry-mask';
/** Elements that are left out with everything inside them. */
const DROP = /^(?:script|noscript|template|base|xmp|plaintext|noembed|noframes|frameset|param)$/;
/** Embedded content: replaced by an empty box of its size. */
const REPLACED = /^(?:iframe|frame|canvas|video|audio|embed|object|applet|portal)$/;
const VOID = /^(?:area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)$/;
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

interface Box {
  w: number;
  h: number;
  /** computed display */
  d: string;
}

interface Frame {
  /** next node to visit */
  n: Node | null;
  /** markup that closes this frame */
  end: string;
  /** inside a masked subtree */
  m: boolean;
  /** a shadow host: its light children, walked after the shadow tree */
  light?: Node | null;
  /** the document's adoptedStyleSheets, serialized before `end` */
  ad?: Document;
}

const escAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
const escText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function measure(el: Element, win: Window): Box {
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

/** Rules of a stylesheet as CSS text, or null when its rules cannot be read (cross-origin). */
function rulesOf(sheet: CSSStyleSheet | null | undefined): CSSRuleList | null {
  try {
    return (sheet && sheet.cssRules) || null;
  } catch (e) {
    return null;
  }
}

export function serializer(doc: Document, o: SerializeOptions): Serializer {
  const win = doc.defaultView || window;
  const base = doc.baseURI || doc.URL;
  const se = doc.scrollingElement || doc.documentElement;
  const result: Serialized = {
    parts: [],
    heavy: [],
    viewport: { w: Math.round(win.innerWidth), h: Math.round(win.innerHeight) },
    doc: { w: Math.round(se.scrollWidth), h: Math.round(se.scrollHeight) },
  };
  const parts = result.parts;
  const boxes = new Map<Element, Box>();
  let toMeasure: Element[] = Array.prototype.slice.call(doc.querySelectorAll(PLACEHOLDER_SELECTOR));
  let mi = 0;
  const frames: Frame[] = [];
  /** a unit of work in progress (a stylesheet's rules) that runs before the walk goes on */
  let pending: (() => void) | null = null;
  let started = false;

  const out = (s: string): void => {
    if (s.length > 1024 && s.indexOf('data:') >= 0) result.heavy.push(parts.length);
    parts.push(s);
  };
  const text = (s: string, masked: boolean): string => (masked || o.maskText ? mask(s) : escText(redact(s)));
  const cssOpts: CssMaskOptions = { base, maskText: o.maskText };
  const cssMasked: CssMaskOptions = { base, maskText: true };
  const css = (s: string, masked: boolean): string => maskCss(s, masked ? cssMasked : cssOpts);

  /**
   * The opening of a grouping rule whose rules are serialized one by one — `@layer`, `@media`,
   * `@supports`: Tailwind puts all its utilities in one @layer, whose cssText alone can take
   * 20 ms — or '' for any other rule, serialized whole.
   */
  function opening(r: CSSRule): string {
    const w = win as unknown as Record<string, (new () => CSSRule) | undefined>;
    const is = (name: string): boolean => {
      const C = w[name];
      return !!C && r instanceof C;
    };
    if (is('CSSLayerBlockRule')) return '@layer ' + (r as CSSLayerBlockRule).name;
    if (is('CSSMediaRule')) return '@media ' + (r as CSSMediaRule).media.mediaText;
    if (is('CSSSupportsRule')) return '@supports ' + (r as CSSSupportsRule).conditionText;
    return '';
  }

  /**
   * Masks the rules of `sheets` as units of work that run before the walk goes on (a rule at a
   * time, a big one in pieces: css.ts `cssPieces`) and writes them out, `fix`ed, in parts of
   * about PIECE characters (the sender compresses part by part), then `close`.
   */
  function rules(
    sheets: Array<CSSRuleList | null>,
    masked: boolean,
    fix: (css: string) => string,
    close: string,
  ): void {
    const co = masked ? cssMasked : cssOpts;
    /** rule lists being serialized, innermost last: the list, the next index, what closes it */
    const stack = sheets.map((l) => ({ l, i: 0, end: '' })).reverse();
    let buf = '';
    let piece: (() => string | null) | null = null;
    const step = (): void => {
      if (piece) {
        const s = piece();
        if (s === null) {
          piece = null;
          buf += '\n';
        } else buf += s;
        return;
      }
      const top = stack[stack.length - 1];
      if (!top) {
        pending = null;
        if (buf) out(fix(buf));
        buf = '';
        out(close);
      } else if (!top.l || top.i >= top.l.length) {
        stack.pop();
        buf += top.end;
      } else {
        const r = top.l[top.i++]!;
        const open = opening(r);
        if (open) {
          buf += maskCss(open, co) + ' {\n';
          stack.push({ l: (r as CSSGroupingRule).cssRules, i: 0, end: '}\n' });
        } else {
          const css = r.cssText;
          if (css.length > PIECE) piece = cssPieces(css, co);
          else buf += maskCss(css, co) + '\n';
        }
      }
    };
    // a part never splits a `</style`: pieces end after a token or a '}'
    pending = () => {
      step();
      if (buf.length >= PIECE) {
        out(fix(buf));
        buf = '';
      }
    };
  }

  /** In HTML a </style> inside CSS would end the element; in SVG the text is parsed as markup. */
  const fixHtml = (s: string): string => s.replace(/<\/(style)/gi, '<\\/$1');

  /** The rules of adoptedStyleSheets as one <style> (they have no element of their own). */
  function adopted(root: Document | ShadowRoot): void {
    const sheets = (root as { adoptedStyleSheets?: CSSStyleSheet[] }).adoptedStyleSheets;
    if (!sheets || !sheets.length) return;
    out('<style data-tapistry-adopted>');
    rules(Array.prototype.map.call(sheets, rulesOf) as Array<CSSRuleList | null>, false, fixHtml, '</style>');
  }

  function attrs(el: Element, tag: string, html: boolean, masked: boolean): void {
    const list = el.attributes;
    const type = html && tag === 'input' ? (el.getAttribute('type') || '').toLowerCase() : '';
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      const n = a.name;
      const ln = n.toLowerCase();
      let v = a.value;
      if (DROP_ATTR.test(ln) || SCRIPTY.test(v)) continue;
      if (ln === 'value' && html && VALUE_TAGS.test(tag)) {
        // a button's label is layout, not data; every other value is left out
        if (!/^(?:submit|button|reset)$/.test(type)) continue;
        v = text(v, masked);
      } else if (TEXT_ATTR.test(ln) && !(html && tag === 'meta')) {
        v = text(v, masked);
      } else if (ln === 'style') {
        v = css(v, masked);
      } else if (ln === 'srcset') {
        v = srcset(v, base);
        if (v) {
          result.heavy.push(parts.length);
          parts.push(' ' + n + '="' + escAttr(v) + '"');
        }
        continue;
      } else if (ln === 'href' || ln === 'xlink:href') {
        if (v.charAt(0) === '#' && !html) {
          // an SVG reference inside the document (use, gradients): stays as it is
        } else if (html && (tag === 'a' || tag === 'area')) {
          let abs = v;
          try {
            abs = new URL(v, base).href;
          } catch (e) {
            // sanitized below
          }
          v = linkUrl(abs, o.queryAllowlist);
        } else {
          v = html && tag === 'link' ? cssAsset(v, masked ? cssMasked : cssOpts) : assetUrl(v, base);
          if (!v) continue;
        }
      } else if (URL_ATTR.test(ln)) {
        v = assetUrl(html && tag === 'img' && ln === 'src' ? (el as HTMLImageElement).currentSrc || v : v, base);
        if (!v) continue;
      } else if (/^data:/i.test(v)) {
        // an inline asset in another attribute: left as it is
      } else {
        v = redact(v);
      }
      out(' ' + n + '="' + escAttr(v) + '"');
    }
    if (html && tag === 'img' && !el.hasAttribute('src') && (el as HTMLImageElement).currentSrc) {
      const cur = assetUrl((el as HTMLImageElement).currentSrc, base);
      if (cur) out(' src="' + escAttr(cur) + '"');
    }
  }

  /** An empty box of the element's size instead of the element (ignored, embedded, masked image). */
  function placeholder(el: Element, kind: string, html: boolean): void {
    const own = el.localName;
    const tag = kind === 'ignore' && html && !VOID.test(own) && !REPLACED.test(own) ? own : 'div';
    let b = boxes.get(el);
    if (!b) b = measure(el, win);
    let style = css(el.getAttribute('style') || '', true).replace(/;?\s*$/, ';');
    if (style === ';') style = '';
    if (b.d === 'none') style += 'display:none;';
    else {
      if (b.d === 'inline') style += 'display:inline-block;';
      else if (tag === 'div' && b.d !== 'block') style += 'display:' + b.d + ';';
      style += 'width:' + b.w + 'px!important;height:' + b.h + 'px!important;box-sizing:border-box;overflow:hidden;';
    }
    style += PLACEHOLDER_BG;
    let s = '<' + tag + ' data-tapistry-placeholder="' + kind + '"';
    const id = el.getAttribute('id');
    const cls = el.getAttribute('class');
    if (id) s += ' id="' + escAttr(redact(id)) + '"';
    if (cls) s += ' class="' + escAttr(redact(cls)) + '"';
    out(s + ' style="' + escAttr(style) + '"></' + tag + '>');
  }

  /** A <style> element: its rules as the browser holds them (CSS-in-JS insertRule included). */
  function style(el: Element, html: boolean, masked: boolean): void {
    out('<' + el.localName);
    attrs(el, el.localName, html, masked);
    out('>');
    const close = '</' + el.localName + '>';
    const fix = html ? fixHtml : escText;
    const list = rulesOf((el as HTMLStyleElement).sheet as CSSStyleSheet | null);
    if (!list) {
      out(fix(css(el.textContent || '', masked)));
      out(close);
      return;
    }
    rules([list], masked, fix, close);
  }

  function element(el: Element, f: Frame): void {
    const html = el.namespaceURI === XHTML;
    const tag = el.localName;
    if (html) {
      if (DROP.test(tag)) return;
      if (tag === 'meta' && !el.hasAttribute('charset') && el.getAttribute('name') !== 'viewport') return;
      if (tag === 'link') {
        const rel = (el.getAttribute('rel') || '').toLowerCase();
        if (!/(?:^|\s)stylesheet(?:\s|$)/.test(rel) || !assetUrl(el.getAttribute('href') || '', base)) return;
      }
    } else if (tag === 'script') return;
    if (el.hasAttribute(IGNORE)) return placeholder(el, 'ignore', html);
    if (html && REPLACED.test(tag)) return placeholder(el, tag, html);
    const masked = f.m || el.hasAttribute(MASK);
    if (masked && html && tag === 'img') return placeholder(el, 'img', html);
    if (tag === 'style') return style(el, html, masked);
    out('<' + tag);
    attrs(el, tag, html, masked);
    out('>');
    if (html && VOID.test(tag)) return;
    if (html && tag === 'textarea') return out('</textarea>');
    const end = '</' + tag + '>';
    const sr = (el as HTMLElement).shadowRoot;
    if (sr) {
      out('<template shadowrootmode="open">');
      adopted(sr);
      frames.push({ n: sr.firstChild, end, m: masked, light: el.firstChild });
    } else {
      frames.push({ n: el.firstChild, end, m: masked, ad: el === doc.documentElement ? doc : undefined });
    }
  }

  function start(): void {
    started = true;
    const dt = doc.doctype;
    if (dt) {
      out('<!DOCTYPE ' + dt.name + (dt.publicId ? ' PUBLIC "' + dt.publicId + '"' : '') +
        (dt.systemId ? (dt.publicId ? '' : ' SYSTEM') + ' "' + dt.systemId + '"' : '') + '>');
    }
    frames.push({ n: doc.documentElement, end: '', m: false });
  }

  function step(): boolean {
    // 1. the boxes of the placeholders, while layout is clean
    if (mi < toMeasure.length) {
      const el = toMeasure[mi++]!;
      boxes.set(el, measure(el, win));
      if (mi === toMeasure.length) toMeasure = [];
      return false;
    }
    if (!started) {
      start();
      return false;
    }
    // 2. the walk
    if (pending) {
      pending();
      return false;
    }
    const f = frames[frames.length - 1];
    if (!f) return true;
    const n = f.n;
    if (!n) {
      if (f.light !== undefined) {
        out('</template>');
        f.n = f.light;
        f.light = undefined;
        return false;
      }
      if (f.ad) {
        adopted(f.ad);
        f.ad = undefined;
        return false;
      }
      frames.pop();
      out(f.end);
      return !frames.length;
    }
    f.n = n.nextSibling;
    if (n.nodeType === 3) out(text((n as Text).data, f.m));
    else if (n.nodeType === 1) element(n as Element, f);
    return false;
  }

  return { step, result };
}

/** Runs a serializer to the end in one go (tests, and pages small enough not to need slicing). */
export function serializeNow(doc: Document, o: SerializeOptions): Serialized {
  const s = serializer(doc, o);
  while (!s.step()) {
    // one unit at a time
  }
  return s.result;
}

/** The lighter version of a heavy piece: no srcset, no big data: URLs. */
export function lighten(part: string): string {
  return /^ [^=]*srcset="/i.test(part) ? '' : part.replace(BIG_DATA_URL, '');
}
