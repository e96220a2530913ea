// Makes a stored DOM snapshot safe and inert to show in the heatmap's snapshot frame. The frame is
// already sandboxed without allow-scripts (nothing in it can run); this removes what would still
// act or load needlessly — scripts, <noscript> fallbacks (they render when scripts are off), nested
// frames and plugins, meta refreshes, <base>, event-handler attributes and javascript: URLs — and
// adds a CSP that forbids scripts as a second wall. The SDK makes every URL in a snapshot absolute
// (docs/api.md), so no <base> is needed (the dashboard's own CSP has base-uri 'none' anyway).
// Uses DOMParser, whose documents never run scripts or load anything.

const REMOVE =
  'script,noscript,iframe,frame,frameset,object,embed,applet,portal,meta[http-equiv],base,link[rel~="preload"],link[rel~="modulepreload"],link[rel~="prefetch"],link[rel~="manifest"],link[rel~="serviceworker"]';
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background', 'ping']);

export const SNAPSHOT_CSP = "script-src 'none'; object-src 'none'; frame-src 'none'; worker-src 'none'; form-action 'none'";

export function sanitizeSnapshot(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  doc.querySelectorAll(REMOVE).forEach((e) => e.remove());
  const all = doc.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) {
    const el = all[i]!;
    for (const a of Array.from(el.attributes)) {
      const n = a.name.toLowerCase();
      if (n.startsWith('on') || n === 'srcdoc' || n === 'autofocus') el.removeAttribute(a.name);
      else if (URL_ATTRS.has(n) && /^\s*(javascript|vbscript|data\s*:\s*text\/html)/i.test(a.value)) el.removeAttribute(a.name);
    }
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
  return '<!doctype html>' + doc.documentElement.outerHTML;
}
