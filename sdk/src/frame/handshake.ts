// The live-frame handshake (docs/dashboard.md "Live-frame handshake"): the dashboard frames the
// customer's page and posts {tapistry: 'hello', v: 1}; we answer `parent` with the page's geometry,
// then send it again on every scroll, resize and document size change, at most once a frame.
//
// Security: we only ever talk to the Tapistry server's origin — the endpoint's, the one the SDK
// posts events to. A hello counts only when it comes from our direct parent window with exactly
// that origin, and every answer is posted with that origin as targetOrigin (never '*'), so the
// browser drops it if the parent has navigated elsewhere meanwhile. The answer holds numbers only:
// document size, viewport size, scroll offset (CSS px) — no DOM, no text, no URL, no ids.
// Nothing is sent to the server and nothing is stored.

export interface FrameConfig {
  /** the ingest URL (core config); read on every message, so a later config() is honoured */
  endpoint: string;
}

export interface Geometry {
  tapistry: 'ready' | 'scroll';
  v: 1;
  doc: { w: number; h: number };
  viewport: { w: number; h: number };
  scroll: { x: number; y: number };
}

/** The origin the handshake may talk to: the endpoint's, http(s) only (never 'null'); else ''. */
export function serverOrigin(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    return u.protocol == 'https:' || u.protocol == 'http:' ? u.origin : '';
  } catch (e) {
    return '';
  }
}

/** The message: sizes and offsets in CSS px, as the core measures them (core/layout.ts). */
export function geometry(w: Window, type: Geometry['tapistry']): Geometry {
  const d = w.document;
  const e = d.scrollingElement || d.documentElement;
  return {
    tapistry: type,
    v: 1,
    doc: { w: e.scrollWidth, h: e.scrollHeight },
    viewport: { w: w.innerWidth, h: w.innerHeight },
    scroll: { x: w.pageXOffset, y: w.pageYOffset },
  };
}

/** Whether `e` is the dashboard's hello: from our parent window, on the server's origin. */
export function isHello(w: Window, c: FrameConfig, e: MessageEvent): boolean {
  const o = serverOrigin(c.endpoint);
  const d = e.data as { tapistry?: unknown } | null;
  return !!o && w.parent !== w && e.source === w.parent && e.origin === o && !!d && typeof d == 'object' && d.tapistry == 'hello';
}

/** Never throws into the page. */
function safe<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
  return function (...a: A) {
    try {
      fn(...a);
    } catch (e) {
      // a page that broke postMessage or layout: no overlay, nothing else
    }
  };
}

/** Answers the handshake in window `w` (framed pages only). */
export function listen(w: Window, c: FrameConfig): void {
  if (w.top === w) return;
  let watching = false;
  let frame = 0;
  const send = safe((type: Geometry['tapistry']) => {
    const o = serverOrigin(c.endpoint);
    if (o) w.parent.postMessage(geometry(w, type), o);
  });
  const soon = safe(() => {
    if (!frame) {
      frame = w.requestAnimationFrame(() => {
        frame = 0;
        send('scroll');
      });
    }
  });
  w.addEventListener(
    'message',
    safe((e: MessageEvent) => {
      if (!isHello(w, c, e)) return;
      // every hello gets a ready (the dashboard pings until one arrives)
      send('ready');
      if (watching) return;
      watching = true;
      const opt = { passive: true };
      w.addEventListener('scroll', soon, opt);
      w.addEventListener('resize', soon, opt);
      const RO = (w as Window & { ResizeObserver?: typeof ResizeObserver }).ResizeObserver;
      if (RO) {
        const ro = new RO(soon);
        ro.observe(w.document.documentElement);
        if (w.document.body) ro.observe(w.document.body);
      }
    }),
  );
}
