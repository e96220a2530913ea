// The messages between the bookmarklet overlay on the customer's page (bookmarklet/) and the
// overlay frame, /app/overlay-frame.html on the Tapistry server (overlay-frame/) — issue 14.
//
// The page never calls the API: the frame does, same-origin, with the bookmarklet's token, and
// answers with the aggregates the overlay draws and nothing else. So the token is posted once, to
// the frame only (targetOrigin = the server's origin), and lives in no global, attribute or URL of
// the page.
//
//   frame → page   {tapistry: 'overlay', v: 1, type: 'ready'}                   (targetOrigin '*': it carries nothing)
//   page  → frame  {…, type: 'config', config: OverlayConfig}                    (targetOrigin: the server's origin)
//   page  → frame  {…, type: 'get', id, what: 'heatmap' | 'elements', path, kind?}
//   frame → page   {…, type: 'data', id, heatmap? | elements?} or {…, type: 'error', id, status, message}
//                                                                                (targetOrigin: the origin the config came from)
import type { ElementStat } from './pin';
import type { Tile } from './heat';

export const OVERLAY_FRAME_PATH = '/app/overlay-frame.html';

/** What the frame needs to read: the token and the dashboard's filters. */
export interface OverlayConfig {
  token: string;
  project_id: string;
  from?: string;
  to?: string;
  device?: string;
  vw?: string;
}

export type ClickKind = 'clicks' | 'rage' | 'dead';

export interface HeatmapData {
  tiles: Tile[];
  total: number;
}

export interface ElementsData {
  elements: ElementStat[];
  total_clicks: number;
}

export type OverlayMessage =
  | { tapistry: 'overlay'; v: 1; type: 'ready' }
  | { tapistry: 'overlay'; v: 1; type: 'config'; config: OverlayConfig }
  | { tapistry: 'overlay'; v: 1; type: 'get'; id: number; what: 'heatmap' | 'elements'; path: string; kind?: ClickKind }
  | { tapistry: 'overlay'; v: 1; type: 'data'; id: number; heatmap?: HeatmapData; elements?: ElementsData }
  | { tapistry: 'overlay'; v: 1; type: 'error'; id: number; status: number; message: string };

export function isOverlayMessage(d: unknown): d is OverlayMessage {
  const m = d as OverlayMessage | null;
  return !!m && typeof m === 'object' && m.tapistry === 'overlay' && m.v === 1 && typeof m.type === 'string';
}

const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
const str = (x: unknown, max = 2048) => (typeof x === 'string' ? x.slice(0, max) : '');

/** Only the fields the overlay draws, from an /api/heatmap answer. */
export function heatmapData(body: unknown): HeatmapData {
  const b = (body ?? {}) as { tiles?: unknown; total?: unknown };
  const tiles = Array.isArray(b.tiles) ? b.tiles.slice(0, 64 * 64) : [];
  return { tiles: tiles.map((t: Partial<Tile>) => ({ i: num(t?.i), j: num(t?.j), count: num(t?.count) })), total: num(b.total) };
}

/** Only the fields the overlay draws, from an /api/elements answer. */
export function elementsData(body: unknown): ElementsData {
  const b = (body ?? {}) as { elements?: unknown; total_clicks?: unknown };
  const list = Array.isArray(b.elements) ? b.elements.slice(0, 200) : [];
  return {
    elements: list.map((e: Partial<ElementStat>) => ({
      selector_hash: str(e?.selector_hash, 64),
      selector: str(e?.selector),
      clicks: num(e?.clicks),
      rage: num(e?.rage),
      dead: num(e?.dead),
      ex: num(e?.ex),
      ey: num(e?.ey),
    })),
    total_clicks: num(b.total_clicks),
  };
}

/** A config with only its known fields, each a bounded string; null when token or project is missing. */
export function overlayConfig(c: unknown): OverlayConfig | null {
  const x = (c ?? {}) as Record<string, unknown>;
  const token = str(x.token, 512);
  const project_id = str(x.project_id, 128);
  if (!token || !project_id) return null;
  const out: OverlayConfig = { token, project_id };
  for (const k of ['from', 'to', 'device', 'vw'] as const) {
    const v = str(x[k], 64);
    if (v) out[k] = v;
  }
  return out;
}
