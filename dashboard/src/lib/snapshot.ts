// Makes a stored DOM snapshot safe and inert to show in the heatmap's snapshot frame.
//
// A snapshot is data a visitor's browser sent with the project's public key: anyone can forge one
// (issue 14). The frame is already sandboxed without allow-scripts (nothing in it can run); this
// removes what would still act — scripts, <noscript> fallbacks (they render when scripts are off),
// nested frames and plugins, meta refreshes and referrer policies, <base>, SVG animations (they can
// rewrite an href), event-handler attributes and javascript: URLs — and makes sure the analyst's
// browser fetches nothing from wherever the snapshot points:
//   - every URL that loads something (src, srcset, poster, background, <link rel=stylesheet|icon>
//     href, SVG href / xlink:href, CSS url() / @import / image-set() in <style> elements and in
//     style="" and SVG presentation attributes) goes through this server's asset cache,
//     /api/snapshot-asset?project_id=P&url=… (which rewrites a stylesheet's own URLs the same way),
//     unless it is on the dashboard's own origin or a data: URL; anything else is dropped;
//   - every other <link> (preconnect, dns-prefetch, prerender, preload, manifest…) is removed;
//   - a CSP as the first thing in <head> forbids every other origin, in case a URL hides where this
//     code does not look, and a no-referrer policy.
// Links (<a>, <area>) keep their href: they load nothing unless clicked, and the overlay covers the
// frame. The SDK makes every URL in a snapshot absolute (docs/api.md); relative ones resolve against
// the snapshot's own url here, as they would on the page.
// Uses DOMParser, whose documents never run scripts or load anything. The result is parsed and
// cleaned once more: HTML that re-parses differently from how it serializes (mutation XSS) is
// cleaned as the frame will see it.
import { rewriteCss } from './css-urls';

export interface SnapshotContext {
  /** The project the snapshot belongs to (the asset cache serves per project). */
  projectId: string;
  /** The dashboard's origin (location.origin): URLs on it load as they are. */
  self: string;
  /** The page the snapshot was taken of: relative URLs resolve against it. */
  base?: string;
  /** The asset route (default ASSET_PATH; the replay player's is /api/replay-asset). */
  path?: string;
  /** Proxy URLs on the dashboard's own origin too (the player frame's CSP allows only the route). */
  proxySelf?: boolean;
}

export const SNAPSHOT_CSP =
  "default-src 'none'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; media-src 'none'; " +
  "script-src 'none'; object-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'";

/** The asset cache endpoint (docs/api.md). */
export const ASSET_PATH = '/api/snapshot-asset';

/** Removed with everything inside them. */
const REMOVE = new Set([
  'script', 'noscript', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'fencedframe', 'base', 'param',
  // SVG animation: changes attributes (an <image>'s href) with no script
  'set', 'animate', 'animatemotion', 'animatetransform', 'animatecolor', 'discard',
]);
/** Removed wherever they are: they run, load a document, or pin a request. */
const DROP_ATTR = new Set(['srcdoc', 'autofocus', 'ping', 'integrity', 'nonce', 'manifest', 'lowsrc', 'dynsrc', 'imagesrcset', 'imagesizes', 'referrerpolicy']);
/** Navigations (loaded only when clicked) and other URLs that load nothing: only script URLs are removed. */
const NAV_ATTRS = new Set(['action', 'formaction', 'data', 'cite', 'longdesc', 'codebase']);
const MEDIA = new Set(['video', 'audio', 'track']);
const SVG_NS = 'http://www.w3.org/2000/svg';
const MATHML_NS = 'http://www.w3.org/1998/Math/MathML';
const SCRIPT_URL = /^[\u0000-\u0020]*(javascript|vbscript|data[\u0000-\u0020]*:[\u0000-\u0020]*text\/html)/i;

type Kind = 'asset' | 'style';

/**
 * What a URL of the snapshot becomes: itself (on the dashboard's origin, a data: URL, a reference
 * inside the document), the asset cache's address for it (any other http(s) URL), or null (drop).
 * Stylesheets from data: URLs are dropped: the CSP would refuse them.
 */
export function assetUrl(raw: string, kind: Kind, ctx: SnapshotContext): string | null {
  const v = raw.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  if (v === '' || v.startsWith('#')) return raw; // loads nothing / a fragment of this document
  let u: URL;
  try {
    u = new URL(v, ctx.base || ctx.self);
  } catch {
    return null;
  }
  if (u.protocol === 'data:') return kind === 'style' ? null : v;
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  if (u.origin === ctx.self && !ctx.proxySelf) return u.href;
  const hash = u.hash.replace(/,/g, '%2C');
  u.hash = '';
  return `${ctx.self}${ctx.path ?? ASSET_PATH}?project_id=${encodeURIComponent(ctx.projectId)}&url=${encodeURIComponent(u.href)}${hash}`;
}

/** CSS (a style sheet or a declaration list) with every URL made safe by assetUrl(). */
export function sanitizeCss(css: string, ctx: SnapshotContext): string {
  return rewriteCss(css, (url, where) => assetUrl(url, where === 'import' ? 'style' : 'asset', ctx));
}

/**
 * A srcset with every candidate's URL passed to `map` (null drops the candidate), parsed as the
 * HTML standard does: a URL runs to the next whitespace (commas may be inside it), trailing commas
 * end a candidate, descriptors run to the next comma outside parentheses.
 */
export function rewriteSrcset(value: string, map: (url: string) => string | null): string {
  const out: string[] = [];
  const ws = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (ws(value[i]) || value[i] === ',')) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && !ws(value[j])) j++;
    let url = value.slice(i, j);
    i = j;
    let desc = '';
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '');
    } else {
      let depth = 0;
      const from = i;
      while (i < n && !(value[i] === ',' && depth === 0)) {
        if (value[i] === '(') depth++;
        else if (value[i] === ')' && depth > 0) depth--;
        i++;
      }
      desc = value.slice(from, i).trim();
      i++; // the comma
    }
    const to = map(url);
    if (to !== null && to !== '') out.push(desc ? `${to} ${desc}` : to);
  }
  return out.join(', ');
}

function relTokens(el: Element): string[] {
  return (el.getAttribute('rel') ?? '').toLowerCase().split(/[\s]+/).filter(Boolean);
}

function cleanAttrs(el: Element, ctx: SnapshotContext): void {
  const local = el.localName.toLowerCase();
  const svg = el.namespaceURI === SVG_NS;
  const link = local === 'a' || local === 'area' || el.namespaceURI === MATHML_NS;
  for (const a of Array.from(el.attributes)) {
    const n = a.name.toLowerCase();
    const set = (v: string | null) => {
      if (v === null || v === '') el.removeAttributeNode(a);
      else if (v !== a.value) a.value = v;
    };
    if (n.startsWith('on') || DROP_ATTR.has(n)) el.removeAttributeNode(a);
    else if (n === 'style') set(sanitizeCss(a.value, ctx));
    else if (n === 'srcset') set(rewriteSrcset(a.value, (u) => assetUrl(u, 'asset', ctx)));
    else if (n === 'src') set(MEDIA.has(local) || (local === 'source' && MEDIA.has(el.parentElement?.localName ?? '')) ? null : assetUrl(a.value, 'asset', ctx));
    else if (n === 'poster' || n === 'background') set(assetUrl(a.value, 'asset', ctx));
    else if (n === 'href' || n === 'xlink:href') {
      if (link) {
        if (SCRIPT_URL.test(a.value)) el.removeAttributeNode(a);
      } else if (local === 'link') {
        set(assetUrl(a.value, relTokens(el).includes('stylesheet') ? 'style' : 'asset', ctx));
      } else {
        set(assetUrl(a.value, 'asset', ctx)); // SVG <image>, <use>, <feImage>, <pattern>…
      }
    } else if (NAV_ATTRS.has(n)) {
      if (SCRIPT_URL.test(a.value)) el.removeAttributeNode(a);
    } else if (svg && /[(\\]/.test(a.value)) {
      // presentation attributes are CSS: fill="url(…)", filter, mask, clip-path, cursor…
      set(sanitizeCss(a.value, ctx));
    }
  }
}

function cleanTree(root: ParentNode, ctx: SnapshotContext): void {
  for (const el of Array.from(root.querySelectorAll('*'))) {
    const local = el.localName.toLowerCase();
    if (REMOVE.has(local)) {
      el.remove();
      continue;
    }
    if (local === 'meta' && (el.hasAttribute('http-equiv') || (el.getAttribute('name') ?? '').toLowerCase() === 'referrer')) {
      el.remove();
      continue;
    }
    if (local === 'link') {
      const rel = relTokens(el);
      // a stylesheet or an icon is shown (through the asset cache); every other link only connects,
      // prefetches or describes: removed
      if (!rel.includes('stylesheet') && !rel.some((r) => r.endsWith('icon'))) {
        el.remove();
        continue;
      }
    }
    cleanAttrs(el, ctx);
    if (local === 'style') el.textContent = sanitizeCss(el.textContent ?? '', ctx);
    // a <template shadowrootmode> becomes a live shadow root in the frame
    if (local === 'template') cleanTree((el as HTMLTemplateElement).content, ctx);
  }
}

const parse = (html: string) => new DOMParser().parseFromString(html, 'text/html');
const serialize = (doc: Document) => '<!doctype html>' + doc.documentElement.outerHTML;

export function sanitizeSnapshot(html: string, ctx: SnapshotContext): string {
  let doc = parse(html);
  cleanTree(doc, ctx);
  for (let pass = 0; pass < 2; pass++) {
    const out = serialize(doc);
    const again = parse(out);
    cleanTree(again, ctx);
    if (serialize(again) === out) break;
    doc = again;
  }
  const head = doc.head;
  const meta = doc.createElement('meta');
  meta.setAttribute('http-equiv', 'Content-Security-Policy');
  meta.setAttribute('content', SNAPSHOT_CSP);
  const ref = doc.createElement('meta');
  ref.setAttribute('name', 'referrer');
  ref.setAttribute('content', 'no-referrer');
  // No scrollbars (the frame is as tall as the document), no caret, no animations or transitions (elements show their settled style).
  const style = doc.createElement('style');
  style.textContent =
    'html,body{overflow:hidden!important;scroll-behavior:auto!important}*{caret-color:transparent!important}*,*::before,*::after{animation:none!important;transition:none!important}';
  head.prepend(meta, ref);
  head.append(style);
  return serialize(doc);
}
