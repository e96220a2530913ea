// The page under the heatmap, in one of two frames:
// - SnapshotFrame: the DOM snapshot the SDK captured, rendered through srcdoc in an iframe sandboxed
//   with allow-same-origin only (never allow-scripts), at the capture's viewport width, as tall as
//   its document, scaled to fit. Same-origin lets the overlay measure elements; no script can run;
//   its assets load through this server only (lib/snapshot.ts).
// - LiveFrame: the customer's page itself, loaded only from the project's allowed origins
//   (lib/live-url.ts). It can only be drawn over when the page's snippet answers
//   our postMessage handshake (docs/dashboard.md) with its document size and scroll position; after
//   7.5 s without an answer we say the site blocks embedding and offer the other modes.
// Both report a Layout the overlay draws against.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Snapshot } from '../api/types';
import { html } from '../html';
import { elementLabel } from '../lib/label';
import type { Locate } from '../lib/pin';
import { SANDBOX_SELF } from '../lib/live-url';

export interface Layout {
  /** Document size in CSS px of the framed page. */
  docW: number;
  docH: number;
  /** Viewport of the framed page (CSS px). */
  vpW: number;
  vpH: number;
  /** Display scale (screen px per page px). */
  k: number;
  /** Live mode: the page's scroll offset. */
  scrollX: number;
  scrollY: number;
  live: boolean;
  /** Measures an element by selector (document coordinates), when the frame's DOM is readable. */
  locate?: Locate;
  /** The frame's document, for the PNG wireframe. */
  doc?: Document;
}

export function locateIn(doc: Document): Locate {
  const win = doc.defaultView;
  return (selector) => {
    let el: Element | null = null;
    try {
      el = doc.querySelector(selector);
    } catch {
      return null; // not a valid selector in this browser
    }
    if (!el) return null;
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return 'hidden';
    const style = win?.getComputedStyle(el);
    if (style && (style.visibility === 'hidden' || style.display === 'none')) return 'hidden';
    return { x: r.left + (win?.scrollX ?? 0), y: r.top + (win?.scrollY ?? 0), w: r.width, h: r.height, label: elementLabel(el) };
  };
}

function measure(doc: Document): { w: number; h: number } {
  const de = doc.documentElement;
  const b = doc.body;
  return {
    w: Math.max(de.scrollWidth, b?.scrollWidth ?? 0),
    h: Math.max(de.scrollHeight, b?.scrollHeight ?? 0, de.offsetHeight),
  };
}

let sanitizer: Promise<typeof import('../lib/snapshot')> | undefined;
const loadSanitizer = () => (sanitizer ??= import('../lib/snapshot'));

export function SnapshotFrame(props: { snap: Snapshot; projectId: string; width: number; onLayout(l: Layout | null): void; children?: unknown }) {
  const { snap, width } = props;
  const frame = useRef<HTMLIFrameElement>(null);
  const vpW = Math.max(200, Math.min(3000, snap.viewport.w || 1280));
  const vpH = Math.max(200, snap.viewport.h || 800);
  const [docH, setDocH] = useState<number>(Math.max(vpH, snap.doc.h || vpH));
  const [docW, setDocW] = useState<number>(vpW);
  const k = width > 0 ? Math.min(1, width / vpW) : 1;
  // The sanitizer (lib/snapshot.ts, with its CSS tokenizer) is a chunk of its own, loaded with the
  // first snapshot: most screens never need it. No frame until it has run.
  const [srcdoc, setSrcdoc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let current = true;
    setSrcdoc(null);
    setFailed(false);
    loadSanitizer().then(
      (m) => current && setSrcdoc(m.sanitizeSnapshot(snap.html, { projectId: props.projectId, self: location.origin, base: snap.url })),
      () => {
        sanitizer = undefined;
        if (current) setFailed(true);
      },
    );
    return () => {
      current = false;
    };
  }, [snap.html, snap.url, props.projectId]);

  const report = (w: number, h: number) => {
    const doc = frame.current?.contentDocument;
    props.onLayout({ docW: w, docH: h, vpW, vpH, k, scrollX: 0, scrollY: 0, live: false, locate: doc ? locateIn(doc) : undefined, doc: doc ?? undefined });
  };
  const onLoad = () => {
    const doc = frame.current?.contentDocument;
    if (!doc?.documentElement) return;
    // Measured at the capture's viewport height first, so 100vh sections keep their captured size;
    // then the frame grows to the whole document, which is never re-measured (that would loop).
    const m = measure(doc);
    const h = Math.max(vpH, Math.min(m.h, 60000));
    setDocH(h);
    setDocW(Math.max(vpW, m.w));
    report(Math.max(vpW, m.w), h);
  };
  useEffect(() => {
    props.onLayout(null);
    setDocH(vpH);
  }, [snap.html]);
  useEffect(() => {
    const doc = frame.current?.contentDocument;
    if (doc?.readyState === 'complete' && doc.documentElement && doc.body) report(docW, docH);
  }, [k]);

  return html`<div class="frame-box" style=${{ width: docW * k + 'px', height: docH * k + 'px' }}>
    ${failed && html`<p class="state-text" role="alert">The snapshot viewer could not be loaded. Reload the page to try again.</p>`}
    ${srcdoc !== null &&
    html`<iframe ref=${frame} class="page-frame" title=${'Snapshot of ' + snap.url} sandbox="allow-same-origin" referrerpolicy="no-referrer"
      tabindex="-1" aria-hidden="true" srcdoc=${srcdoc} onLoad=${onLoad}
      style=${{ width: vpW + 'px', height: docH + 'px', transform: `scale(${k})` }}></iframe>`}
    ${props.children}
  </div>`;
}

export const HANDSHAKE_MS = 7500;

/** Messages of the live-frame handshake (docs/dashboard.md). */
export interface ReadyMessage {
  tapistry: 'ready' | 'scroll';
  v: 1;
  doc: { w: number; h: number };
  viewport: { w: number; h: number };
  scroll: { x: number; y: number };
  path?: string;
}

export function isReady(d: unknown): d is ReadyMessage {
  const m = d as ReadyMessage;
  return (
    !!m &&
    typeof m === 'object' &&
    (m.tapistry === 'ready' || m.tapistry === 'scroll') &&
    typeof m.doc?.w === 'number' &&
    typeof m.doc?.h === 'number' &&
    typeof m.scroll?.y === 'number'
  );
}

export function LiveFrame(props: {
  /** An allowed origin + path (lib/live-url.ts), never an address from stored data. */
  url: string;
  /** From liveTarget(): never allow-same-origin on the dashboard's own origin. */
  sandbox: string;
  vpW: number;
  vpH: number;
  width: number;
  onLayout(l: Layout | null): void;
  onBlocked(): void;
  children?: unknown;
}) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [state, setState] = useState<'waiting' | 'ready'>('waiting');
  const k = props.width > 0 ? Math.min(1, props.width / props.vpW) : 1;
  const kRef = useRef(k);
  kRef.current = k;
  // Belt and braces: whatever the caller passes, a page on our own origin (the demo site) never
  // gets scripts and same-origin together — that would let it reach into the dashboard.
  let sameOrigin = true;
  try {
    sameOrigin = new URL(props.url).origin === location.origin;
  } catch {
    // not a URL: treated as our own
  }
  const sandbox = sameOrigin ? SANDBOX_SELF : props.sandbox;
  useEffect(() => {
    setState('waiting');
    props.onLayout(null);
    let ready = false;
    const hello = () => frame.current?.contentWindow?.postMessage({ tapistry: 'hello', v: 1 }, '*');
    const onMsg = (e: MessageEvent) => {
      if (!frame.current || e.source !== frame.current.contentWindow || !isReady(e.data)) return;
      const m = e.data;
      if (!ready) {
        ready = true;
        setState('ready');
      }
      props.onLayout({
        docW: m.doc.w,
        docH: m.doc.h,
        vpW: m.viewport?.w || props.vpW,
        vpH: m.viewport?.h || props.vpH,
        k: kRef.current,
        scrollX: m.scroll.x || 0,
        scrollY: m.scroll.y,
        live: true,
      });
    };
    window.addEventListener('message', onMsg);
    const ping = setInterval(() => {
      if (!ready) hello();
    }, 500);
    const give = setTimeout(() => {
      if (!ready) props.onBlocked();
    }, HANDSHAKE_MS);
    return () => {
      window.removeEventListener('message', onMsg);
      clearInterval(ping);
      clearTimeout(give);
    };
  }, [props.url]);
  return html`<div class="frame-box live" style=${{ width: props.vpW * k + 'px', height: props.vpH * k + 'px' }}>
    <iframe ref=${frame} class="page-frame" name="tapistry-live" title=${'Live page ' + props.url} src=${props.url}
      sandbox=${sandbox} referrerpolicy="no-referrer"
      style=${{ width: props.vpW + 'px', height: props.vpH + 'px', transform: `scale(${k})` }}></iframe>
    ${state === 'waiting' && html`<div class="frame-wait" role="status"><span class="spinner"></span> Connecting to the page’s snippet…</div>`}
    ${props.children}
  </div>`;
}
