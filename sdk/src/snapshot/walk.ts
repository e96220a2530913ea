// The DOM walker shared by heatmap snapshots (serialize.ts, HTML out) and session replay
// (src/replay, rrweb nodes out): it visits the live document in order — doctype, elements, text,
// open shadow roots, adopted stylesheets, the rules of every <style> — applies the masking policy
// (policy.ts) and hands what is kept to a Sink, which writes its own format.
//
// It is a state machine driven one small unit at a time — an element measured, a node visited, a
// CSS rule (or 16 KB of a big one) masked — so the caller can time-slice it (idle.ts) and no task
// ever runs long, even on a page of 20,000 elements. Layout is read in one pass at the start
// (the boxes of the placeholders), while it is clean, never in the middle of the walk (a read
// after the page mutated would force a synchronous layout).

import { cssPieces, maskCss, PIECE } from './css';
import {
  attrsOf, type Box, cssOf, kindOf, masks, measure, placeholder, PLACEHOLDER_SELECTOR, type Policy, textOf, VOID, XHTML,
} from './policy';

export type Attrs = Array<[string, string]>;

/** Where the walk's output goes. Calls nest: every `el` with `kids` is closed by one `end`. */
export interface Sink {
  dt(d: DocumentType): void;
  /**
   * An element with the attributes it keeps (`n` null: one the walker made, the <style> of
   * adopted stylesheets); `kids` false for a void element (no `end` follows). `masked`: its
   * subtree is masked; `ph`: a placeholder standing in for `n`.
   */
  el(n: Element | null, tag: string, a: Attrs, html: boolean, kids: boolean, masked: boolean, ph?: boolean): void;
  end(tag: string): void;
  tx(n: Text, s: string): void;
  /** A piece of the masked CSS text of the current <style>. */
  css(s: string): void;
  /** An open shadow root of the current element starts (true) or ends (false). */
  sh(start: boolean): void;
}

export interface Walker {
  /** Does one unit of work; true when the walk is complete. */
  step(): boolean;
}

interface Frame {
  /** the node whose children this frame walks (null: the walk's root alone) */
  p: Node | null;
  /** next node to visit */
  n: Node | null;
  /** the tag this frame's `end` closes ('' = none) */
  end: string;
  /** inside a masked subtree */
  m: boolean;
  /** a shadow host: its light children, walked after the shadow tree */
  light?: Node | null;
  /** the document's adoptedStyleSheets, serialized before `end` */
  ad?: Document;
}

/** Rules of a stylesheet, or null when its rules cannot be read (cross-origin). */
function rulesOf(sheet: CSSStyleSheet | null | undefined): CSSRuleList | null {
  try {
    return (sheet && sheet.cssRules) || null;
  } catch (e) {
    return null;
  }
}

/**
 * A walker over `root` (a document, or an element whose ancestors decided `masked`). `boxes`
 * receives the measured placeholder boxes (measured up front for a document).
 */
export function walker(root: Document | Element, p: Policy, sink: Sink, masked = false): Walker {
  const doc = (root.ownerDocument || root) as Document;
  const win = doc.defaultView || window;
  const boxes = new Map<Element, Box>();
  let toMeasure: Element[] = Array.prototype.slice.call(root.querySelectorAll(PLACEHOLDER_SELECTOR));
  let mi = 0;
  const frames: Frame[] = [];
  /** a unit of work in progress (a stylesheet's rules) that runs before the walk goes on */
  let pending: (() => void) | null = null;
  let started = false;
  const seen = new WeakSet<Node>();

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
   * time, a big one in pieces: css.ts `cssPieces`) and hands them to the sink in pieces of about
   * PIECE characters, then closes the <style>.
   */
  function rules(sheets: Array<CSSRuleList | null>, m: boolean): void {
    const co = m ? p.cssMasked : p.css;
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
        if (buf) sink.css(buf);
        buf = '';
        sink.end('style');
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
    // a piece never splits a `</style`: pieces end after a token or a '}'
    pending = () => {
      step();
      if (buf.length >= PIECE) {
        sink.css(buf);
        buf = '';
      }
    };
  }

  /** The rules of adoptedStyleSheets as one <style> (they have no element of their own). */
  function adopted(r: Document | ShadowRoot): void {
    const sheets = (r as { adoptedStyleSheets?: CSSStyleSheet[] }).adoptedStyleSheets;
    if (!sheets || !sheets.length) return;
    sink.el(null, 'style', [['data-tapistry-adopted', '']], true, true, false);
    rules(Array.prototype.map.call(sheets, rulesOf) as Array<CSSRuleList | null>, false);
  }

  function element(el: Element, f: Frame): void {
    const html = el.namespaceURI === XHTML;
    const tag = el.localName;
    const m = masks(el, f.m, p);
    const kind = kindOf(el, html, m, p);
    if (kind === 'drop') return;
    if (kind) {
      const ph = placeholder(el, kind, html, boxes.get(el) || measure(el, win), p);
      sink.el(el, ph[0], ph[1], html, true, m, true);
      return sink.end(ph[0]);
    }
    const a = attrsOf(el, tag, html, m, p);
    if (tag === 'link' && p.sheets && html) {
      // replay: a same-origin sheet by its rules (a replay shows the CSS as it was), its media kept
      const l = el as HTMLLinkElement;
      let same = false;
      try {
        same = new URL(l.href).origin === new URL(doc.URL).origin;
      } catch (e) {
        // no URL: as its URL (which policy.ts has already judged)
      }
      const list = same ? rulesOf(l.sheet) : null;
      if (list) {
        sink.el(el, 'style', a.filter((x) => x[0] === 'media'), html, true, m);
        return rules([list], m);
      }
    }
    if (tag === 'style') {
      sink.el(el, tag, a, html, true, m);
      const list = rulesOf((el as HTMLStyleElement).sheet as CSSStyleSheet | null);
      if (list) return rules([list], m);
      sink.css(cssOf(el.textContent || '', m, p));
      return sink.end(tag);
    }
    const kids = !(html && VOID.test(tag));
    sink.el(el, tag, a, html, kids, m);
    if (!kids) return;
    if (html && tag === 'textarea') return sink.end(tag);
    const sr = (el as HTMLElement).shadowRoot;
    if (sr) {
      sink.sh(true);
      adopted(sr);
      frames.push({ p: sr, n: sr.firstChild, end: tag, m, light: el.firstChild });
    } else {
      frames.push({ p: el, n: el.firstChild, end: tag, m, ad: el === doc.documentElement ? doc : undefined });
    }
  }

  function start(): void {
    started = true;
    const dt = doc.doctype;
    if (root === doc) {
      if (dt) sink.dt(dt);
      frames.push({ p: doc, n: doc.documentElement, end: '', m: false });
    } else {
      frames.push({ p: null, n: root, end: '', m: masked });
    }
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
    let n = f.n;
    // The page may change between slices. Our place was moved or removed: start the list over,
    // skipping what was visited — every node is visited once, where it was when visited; the
    // changes themselves are the caller's (replay: the mutations recorded meanwhile).
    if (n && f.p && n.parentNode !== f.p) n = f.p.firstChild;
    while (n && seen.has(n)) n = n.nextSibling;
    if (!n) {
      if (f.light !== undefined) {
        sink.sh(false);
        f.p = f.p && (f.p as ShadowRoot).host;
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
      if (f.end) sink.end(f.end);
      return !frames.length;
    }
    // a walk of one element visits it, not its siblings
    f.n = f.p ? n.nextSibling : null;
    seen.add(n);
    if (n.nodeType === 3) sink.tx(n as Text, textOf((n as Text).data, f.m, p, (n as Text).parentElement));
    else if (n.nodeType === 1) element(n as Element, f);
    return false;
  }

  return { step };
}

/** Runs a walker to the end in one go (tests, mutations, and pages small enough not to slice). */
export function walkNow(w: Walker): void {
  while (!w.step()) {
    // one unit at a time
  }
}
