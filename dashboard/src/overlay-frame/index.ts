// The overlay frame: /app/overlay-frame.html on the Tapistry server, which the bookmarklet overlay
// (bookmarklet/) loads as a hidden iframe on the customer's page (issue 14). It holds the
// bookmarklet's token and calls the read API same-origin with it, so the page itself never makes a
// cross-origin API call and never keeps the token; it answers with the aggregates the overlay
// draws (lib/overlay-messages.ts) and nothing else.
//
// Listens only to its parent window (the page that created it), takes one config, then answers
// that same origin. Sends no cookie (credentials: 'omit'): without the page's token it reads
// nothing, so framing it elsewhere gains nothing. The server serves this page framable by any site,
// under `default-src 'self'`.
import { elementsData, heatmapData, isOverlayMessage, type OverlayConfig, type OverlayMessage, overlayConfig } from '../lib/overlay-messages';

const KINDS = new Set(['clicks', 'rage', 'dead']);
let config: OverlayConfig | null = null;
let parentOrigin = '';

function reply(m: OverlayMessage): void {
  window.parent.postMessage(m, parentOrigin);
}

function sentence(status: number): string {
  if (status === 401) return 'The bookmarklet has expired: create a new one in the dashboard.';
  if (status === 403) return 'This bookmarklet may not read that.';
  if (status === 0) return 'The Tapistry server could not be reached.';
  return `Tapistry answered ${status}.`;
}

async function get(id: number, what: 'heatmap' | 'elements', path: string, kind: string): Promise<void> {
  const c = config!;
  const q = new URLSearchParams({ project_id: c.project_id, path });
  for (const k of ['from', 'to', 'device', 'vw'] as const) if (c[k]) q.set(k, c[k]!);
  if (what === 'heatmap') q.set('kind', kind);
  else q.set('limit', '50');
  let status = 0;
  try {
    const r = await fetch(`/api/${what}?${q}`, {
      headers: { Authorization: 'Bearer ' + c.token, Accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
    status = r.status;
    if (r.ok) {
      const body: unknown = await r.json();
      reply(what === 'heatmap' ? { tapistry: 'overlay', v: 1, type: 'data', id, heatmap: heatmapData(body) } : { tapistry: 'overlay', v: 1, type: 'data', id, elements: elementsData(body) });
      return;
    }
  } catch {
    // a network error or a body that is not JSON
  }
  reply({ tapistry: 'overlay', v: 1, type: 'error', id, status, message: sentence(status) });
}

window.addEventListener('message', (e: MessageEvent) => {
  if (window.parent === window || e.source !== window.parent || !isOverlayMessage(e.data)) return;
  const m = e.data;
  if (m.type === 'config') {
    if (config) return; // one config per frame: a new overlay makes a new frame
    config = overlayConfig(m.config);
    parentOrigin = e.origin;
    return;
  }
  if (m.type !== 'get' || !config || e.origin !== parentOrigin) return;
  const id = Number(m.id);
  const path = typeof m.path === 'string' ? m.path.slice(0, 2048) : '';
  if (!Number.isSafeInteger(id) || !path.startsWith('/') || (m.what !== 'heatmap' && m.what !== 'elements')) return;
  void get(id, m.what, path, KINDS.has(m.kind as string) ? (m.kind as string) : 'clicks');
});

// Tells the parent it can send the config: carries nothing, so any target will do.
if (window.parent !== window) window.parent.postMessage({ tapistry: 'overlay', v: 1, type: 'ready' } satisfies OverlayMessage, '*');
