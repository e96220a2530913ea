// The bookmarklet overlay (spec Appendix C), served as /bookmarklet.js. The bookmarklet
// (lib/bookmarklet-code.ts) loads this script and calls the start function it leaves on its
// <script> element with {server, token, project_id, from?, to?, device?, vw?, kind?, scale?}.
// It draws the heatmap and element counts of the current page over the live page: the same kernel,
// palette and element pinning as the dashboard. Everything lives in one shadow root (the page's
// CSS cannot reach it); running the bookmarklet again, Esc or × removes it. Touches nothing else.
//
// The page never calls the API and keeps no token (issue 14): a hidden frame of the server's
// /app/overlay-frame.html (overlay-frame/) gets the token and filters by postMessage, addressed to
// the server's origin only, reads the API same-origin, and answers with the aggregates drawn here.
import { normalizePath } from '../../../sdk/src/core/sanitize';
import { type BookmarkletConfig as Config, START_PROP } from '../lib/bookmarklet-code';
import { exact, short } from '../lib/format';
import { fullColourAt, type HeatScale, scaleOf, spotsOfTiles, type Tile } from '../lib/heat';
import { renderHeatmap } from '../lib/heat-render';
import { type ElementsData, type HeatmapData, isOverlayMessage, OVERLAY_FRAME_PATH, type OverlayMessage, overlayConfig } from '../lib/overlay-messages';
import { badgeColor, type ElementStat, place } from '../lib/pin';

const HOST_ID = '__tapistry_overlay';
/** How long the frame has to say it is ready: a page whose CSP forbids frames from the server never does. */
const READY_MS = 10000;
type Kind = 'clicks' | 'rage' | 'dead';

const CSS = `
:host{all:initial}
.bar{position:fixed;top:12px;right:12px;z-index:2147483647;display:flex;flex-wrap:wrap;gap:8px;align-items:center;max-width:calc(100vw - 24px);
 background:#111827;color:#f9fafb;font:13px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;padding:8px 10px;border-radius:10px;box-shadow:0 8px 24px rgba(0,0,0,.3)}
.bar b{font-weight:650}.bar code{font:12px ui-monospace,Menlo,monospace;color:#c7d2fe}
.seg{display:inline-flex;border:1px solid #4b5563;border-radius:7px;overflow:hidden}
.seg button{all:unset;cursor:pointer;padding:3px 9px;color:#e5e7eb}.seg button[aria-pressed=true]{background:#4f46e5;color:#fff}
.seg button:focus-visible,.x:focus-visible{outline:2px solid #a5b4fc}
.x{all:unset;cursor:pointer;padding:2px 8px;border-radius:6px;font-size:16px}.x:hover{background:#374151}
input[type=range]{width:80px;accent-color:#818cf8}
.err{color:#fecaca}
.layer{position:absolute;left:0;top:0;pointer-events:none;z-index:2147483646}
canvas{position:absolute;left:0;top:0}
.box{position:absolute;outline:2px solid rgba(220,38,38,.7);border-radius:3px}
.badge{position:absolute;min-width:28px;height:22px;padding:0 6px;border-radius:6px;font:700 14px/22px ui-monospace,Menlo,monospace;color:#111827;text-align:center;box-shadow:0 1px 3px rgba(0,0,0,.35)}
`;

function pathOf(href: string): string {
  const u = new URL(href);
  const route = /^#!?\//.test(u.hash) ? decodeURIComponent(u.hash) : '';
  return normalizePath(href) + route;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function docSize(): { w: number; h: number } {
  const d = document.scrollingElement || document.documentElement;
  return { w: d.scrollWidth, h: d.scrollHeight };
}

function start(cfg: Config): void {
  const existing = document.getElementById(HOST_ID);
  if (existing) {
    existing.dispatchEvent(new Event('tapistry-close'));
    return;
  }
  const path = pathOf(location.href);
  let kind: Kind = cfg.kind === 'rage' || cfg.kind === 'dead' ? cfg.kind : 'clicks';
  const mode: HeatScale = cfg.scale === 'p99' ? 'p99' : 'log';
  let view: 'heatmap' | 'elements' = 'heatmap';
  let opacity = 0.6;
  let tiles: Tile[] = [];
  let elements: ElementStat[] = [];
  let totalClicks = 0;

  const host = el('div', { id: HOST_ID });
  host.style.cssText = 'position:absolute;left:0;top:0;width:0;height:0;z-index:2147483646;';
  const root = host.attachShadow({ mode: 'open' });
  root.appendChild(el('style', {}, CSS));
  const layer = el('div', { class: 'layer' });
  const canvas = el('canvas');
  const boxes = el('div');
  layer.append(canvas, boxes);
  const bar = el('div', { class: 'bar', role: 'toolbar', 'aria-label': 'Tapistry heatmap' });
  root.append(layer, bar);
  document.documentElement.appendChild(host);

  const status = el('span', {}, 'Loading…');
  const seg = (opts: Array<[string, string]>, cur: () => string, set: (v: string) => void) => {
    const s = el('span', { class: 'seg' });
    for (const [v, label] of opts) {
      const b = el('button', { type: 'button', 'aria-pressed': String(cur() === v) }, label);
      b.addEventListener('click', () => {
        set(v);
        s.querySelectorAll('button').forEach((x, i) => x.setAttribute('aria-pressed', String(opts[i]![0] === cur())));
      });
      s.appendChild(b);
    }
    return s;
  };
  const range = el('input', { type: 'range', min: '0', max: '0.8', step: '0.05', value: String(opacity), 'aria-label': 'Opacity' }) as HTMLInputElement;
  range.addEventListener('input', () => {
    opacity = Number(range.value);
    draw();
  });
  const close = el('button', { type: 'button', class: 'x', 'aria-label': 'Close the heatmap', title: 'Close (Esc)' }, '×');
  const title = el('b', {}, 'Tapistry');
  const pathEl = el('code', {}, path);
  bar.append(
    title,
    pathEl,
    status,
    seg([['clicks', 'Clicks'], ['rage', 'Rage'], ['dead', 'Dead']], () => kind, (v) => {
      kind = v as Kind;
      load();
    }),
    seg([['heatmap', 'Heatmap'], ['elements', 'Elements']], () => view, (v) => {
      view = v as 'heatmap' | 'elements';
      draw();
    }),
    range,
    close,
  );

  // The frame that reads the API. The token goes to it once, addressed to the server's origin, and
  // is not kept here.
  let serverOrigin = '';
  try {
    serverOrigin = new URL(cfg.server).origin;
  } catch {
    // stays '': nothing is ever sent
  }
  let frameCfg = overlayConfig(cfg);
  cfg.token = ''; // only frameCfg has it, until it is posted
  const frame = el('iframe', { src: serverOrigin + OVERLAY_FRAME_PATH, title: 'Tapistry', 'aria-hidden': 'true', tabindex: '-1' });
  frame.style.cssText = 'display:none';
  let ready = false;
  let seq = 0;
  const pending = new Map<number, { ok(m: OverlayMessage): void; fail(e: Error): void }>();
  const onMessage = (e: MessageEvent) => {
    if (!serverOrigin || e.origin !== serverOrigin || e.source !== frame.contentWindow || !isOverlayMessage(e.data)) return;
    const m = e.data;
    if (m.type === 'ready') {
      if (ready || !frameCfg) return;
      ready = true;
      clearTimeout(readyTimer);
      frame.contentWindow!.postMessage({ tapistry: 'overlay', v: 1, type: 'config', config: frameCfg } satisfies OverlayMessage, serverOrigin);
      frameCfg = null;
      load();
    } else if (m.type === 'data' || m.type === 'error') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.type === 'data') p.ok(m);
      else p.fail(new Error(m.message || `Tapistry answered ${m.status}.`));
    }
  };
  const ask = (what: 'heatmap' | 'elements'): Promise<OverlayMessage> =>
    new Promise((ok, fail) => {
      const id = ++seq;
      pending.set(id, { ok, fail });
      frame.contentWindow?.postMessage({ tapistry: 'overlay', v: 1, type: 'get', id, what, path, kind } satisfies OverlayMessage, serverOrigin);
    });
  const readyTimer = setTimeout(() => {
    if (ready) return;
    status.className = 'err';
    status.textContent = `Could not reach ${serverOrigin} from this page: its Content-Security-Policy may not allow frames from it (frame-src).`;
  }, READY_MS);
  if (serverOrigin) {
    window.addEventListener('message', onMessage);
    root.append(frame);
  } else {
    clearTimeout(readyTimer);
    status.className = 'err';
    status.textContent = 'This bookmarklet names no Tapistry server: create a new one in the dashboard.';
  }

  let raf = 0;
  function draw(): void {
    cancelAnimationFrame(raf);
    raf = requestAnimationFrame(() => {
      const d = docSize();
      layer.style.width = d.w + 'px';
      layer.style.height = d.h + 'px';
      boxes.textContent = '';
      if (view === 'heatmap') {
        renderHeatmap(canvas, spotsOfTiles(tiles), { cssWidth: d.w, cssHeight: d.h, dpr: window.devicePixelRatio || 1, palette: 'classic', opacity, scale: mode });
        canvas.style.display = '';
        return;
      }
      canvas.style.display = 'none';
      const locate = (sel: string) => {
        let e: Element | null = null;
        try {
          e = document.querySelector(sel);
        } catch {
          return null;
        }
        if (!e || host.contains(e)) return null;
        const r = e.getBoundingClientRect();
        if (r.width <= 0 || r.height <= 0) return 'hidden' as const;
        return { x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height };
      };
      const res = place(elements, totalClicks, locate, d);
      const max = res.pinned.reduce((a, p) => Math.max(a, p.clicks), 0);
      for (const p of res.pinned) {
        const b = el('div', { class: 'box', title: `${p.selector}: ${exact(p.clicks)} clicks` });
        b.style.cssText = `left:${p.rect.x}px;top:${p.rect.y}px;width:${p.rect.w}px;height:${p.rect.h}px`;
        const badge = el('div', { class: 'badge' }, short(p.clicks));
        badge.style.cssText = `left:${p.badge.x}px;top:${p.badge.y}px;background:${badgeColor(p.clicks, max)}`;
        boxes.append(b, badge);
      }
      if (res.unplaced.length) status.textContent = `${exact(totalClicks)} clicks · ${exact(res.unplacedClicks)} on elements not on this page now`;
    });
  }

  async function load(): Promise<void> {
    if (!ready) return;
    status.className = '';
    status.textContent = 'Loading…';
    try {
      const [hm, em] = await Promise.all([ask('heatmap'), ask('elements')]);
      const h = (hm as { heatmap?: HeatmapData }).heatmap ?? { tiles: [], total: 0 };
      const e = (em as { elements?: ElementsData }).elements ?? { elements: [], total_clicks: 0 };
      tiles = h.tiles;
      elements = e.elements;
      totalClicks = e.total_clicks;
      status.textContent = `${exact(h.total)} ${kind === 'clicks' ? 'clicks' : kind + ' clicks'}` + (h.total ? ` · full colour at ${exact(fullColourAt(scaleOf(tiles, mode), mode))}${mode === 'log' ? ' (log scale)' : '+'}` : ' — none yet on this page');
      draw();
    } catch (err) {
      status.className = 'err';
      status.textContent = (err as Error).message || 'Could not load the heatmap.';
    }
  }

  const ro = new ResizeObserver(() => draw());
  ro.observe(document.documentElement);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') teardown();
  };
  function teardown(): void {
    ro.disconnect();
    clearTimeout(readyTimer);
    window.removeEventListener('message', onMessage);
    pending.clear();
    document.removeEventListener('keydown', onKey, true);
    host.remove();
  }
  close.addEventListener('click', teardown);
  host.addEventListener('tapistry-close', teardown);
  document.addEventListener('keydown', onKey, true);
}

// The bookmarklet calls this once the script has loaded (and has removed its element). Bookmarklets
// made before issue 14 set window.__tapistryBookmarklet instead: that global is cleared, and the
// overlay asks for a new bookmarklet.
const me = document.currentScript;
if (me) (me as unknown as Record<string, unknown>)[START_PROP] = (cfg: Config) => cfg && cfg.server && cfg.project_id && start(cfg);
const legacy = window as unknown as { __tapistryBookmarklet?: unknown };
if (legacy.__tapistryBookmarklet) {
  delete legacy.__tapistryBookmarklet;
  console.warn('[tapistry] this bookmarklet is out of date: create a new one in the dashboard (Heatmaps → Bookmarklet).');
}
