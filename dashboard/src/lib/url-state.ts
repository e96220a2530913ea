// Every view's state lives in the URL (so a link reproduces what you see): the route is the path
// under /app/, the rest is the query. Parsing never throws: unknown or malformed values fall back
// to defaults, and serializing leaves defaults out so links stay short.

import { isDay, type Period } from './dates';
import { HEAT_SCALES, type HeatScale } from './heat';

export type Route = 'overview' | 'heatmaps' | 'replays' | 'funnels' | 'settings' | 'notfound';
export const ROUTES: Route[] = ['overview', 'heatmaps', 'replays', 'funnels', 'settings'];

export type Device = '' | 'desktop' | 'mobile' | 'tablet';
export const DEVICES: Device[] = ['desktop', 'mobile', 'tablet'];
export type Viewport = '' | '0-479' | '480-767' | '768-1023' | '1024-1439' | '1440+';
export const VIEWPORTS: Exclude<Viewport, ''>[] = ['0-479', '480-767', '768-1023', '1024-1439', '1440+'];

export type OverlayMode = 'snapshot' | 'live' | 'bookmarklet';
export type HeatView = 'heatmap' | 'scroll' | 'elements';
export type ClickKind = 'clicks' | 'rage' | 'dead';
export type Palette = 'classic' | 'cb';
export type Metric = 'visitors' | 'sessions' | 'pageviews' | 'views_per_session' | 'bounce_rate' | 'avg_session_ms';
export const METRICS: Metric[] = ['visitors', 'sessions', 'pageviews', 'views_per_session', 'bounce_rate', 'avg_session_ms'];

export interface AppState {
  route: Route;
  project: string;
  period: Period;
  from: string;
  to: string;
  compare: boolean;
  /** Traffic scored as bots (bot score ≥ 50, spec §7): hidden everywhere unless 'include'. */
  bots: '' | 'include';
  device: Device;
  vw: Viewport;
  /** Overview: page filter. Heatmaps: the page shown. */
  path: string;
  metric: Metric;
  mode: OverlayMode;
  view: HeatView;
  kind: ClickKind;
  opacity: number;
  palette: Palette;
  scale: HeatScale;
  tab: string;
  /** Funnels: the funnel's own parameters, as a query string (lib/funnel-state.ts reads it). */
  fq: string;
  /** Replays: the session the player shows ('' = the list), and the moment to open at (seconds). */
  session: string;
  t: number;
  /** Replays list: only sessions with a click on this element (selector), on `path` when set. */
  el: string;
  /** Replays list order. */
  sort: ReplaySort;
}

export type ReplaySort = 'newest' | 'longest' | 'largest';
export const REPLAY_SORTS: ReplaySort[] = ['newest', 'longest', 'largest'];

export const DEFAULTS: AppState = {
  route: 'overview',
  project: '',
  period: '7d',
  from: '',
  to: '',
  compare: false,
  bots: '',
  device: '',
  vw: '',
  path: '',
  metric: 'visitors',
  mode: 'snapshot',
  view: 'heatmap',
  kind: 'clicks',
  opacity: 0.6,
  palette: 'classic',
  scale: 'log',
  tab: 'install',
  fq: '',
  session: '',
  t: 0,
  el: '',
  sort: 'newest',
};

/** The funnel's parameters (lib/funnel-state.ts): s1…, x1…, order, unit, window, by, fid. */
export function isFunnelKey(k: string): boolean {
  return /^[sx]\d{1,2}(p|m|sel|h|e|k|v|l|f|t|w)?$/.test(k) || ['order', 'unit', 'window', 'by', 'fid'].includes(k);
}

const PERIOD_IDS: Period[] = ['today', 'yesterday', '7d', '28d', '30d', 'month', 'year', 'all', 'custom'];

function oneOf<T extends string>(v: string | null, allowed: readonly T[], dflt: T): T {
  return v !== null && (allowed as readonly string[]).includes(v) ? (v as T) : dflt;
}

/** The base path the dashboard is served under. */
export const BASE = '/app/';

export function parseRoute(pathname: string): Route {
  if (!pathname.startsWith(BASE.slice(0, -1))) return 'notfound';
  const rest = pathname.slice(BASE.length).replace(/\/+$/, '');
  if (rest === '' || rest === 'index.html') return 'overview';
  return (ROUTES as string[]).includes(rest) ? (rest as Route) : 'notfound';
}

export function parse(pathname: string, search: string): AppState {
  const q = new URLSearchParams(search);
  const s: AppState = { ...DEFAULTS, route: parseRoute(pathname) };
  s.project = (q.get('project') ?? '').slice(0, 200);
  s.period = oneOf(q.get('period'), PERIOD_IDS, DEFAULTS.period);
  const from = q.get('from');
  const to = q.get('to');
  if (isDay(from) && isDay(to)) {
    s.from = from;
    s.to = to;
    if (!q.has('period')) s.period = 'custom';
  } else if (s.period === 'custom') {
    s.period = DEFAULTS.period;
  }
  s.compare = q.get('compare') === 'previous';
  s.bots = q.get('bots') === 'include' ? 'include' : '';
  s.device = oneOf(q.get('device'), DEVICES, '');
  s.vw = oneOf(q.get('vw'), VIEWPORTS, '');
  const path = q.get('path') ?? '';
  s.path = path.startsWith('/') ? path.slice(0, 2048) : '';
  s.metric = oneOf(q.get('metric'), METRICS, DEFAULTS.metric);
  s.mode = oneOf(q.get('mode'), ['snapshot', 'live', 'bookmarklet'] as const, DEFAULTS.mode);
  s.view = oneOf(q.get('view'), ['heatmap', 'scroll', 'elements'] as const, DEFAULTS.view);
  s.kind = oneOf(q.get('kind'), ['clicks', 'rage', 'dead'] as const, DEFAULTS.kind);
  const op = Number(q.get('opacity'));
  if (q.has('opacity') && Number.isFinite(op)) s.opacity = Math.min(0.8, Math.max(0, Math.round(op * 100) / 100));
  s.palette = oneOf(q.get('palette'), ['classic', 'cb'] as const, DEFAULTS.palette);
  s.scale = oneOf(q.get('scale'), HEAT_SCALES, DEFAULTS.scale);
  const tab = q.get('tab');
  if (tab && /^[a-z]{1,20}$/.test(tab)) s.tab = tab;
  const session = q.get('session') ?? '';
  if (s.route === 'replays' && /^[0-9a-fA-F-]{8,64}$/.test(session)) {
    s.session = session.toLowerCase();
    const t = Number(q.get('t'));
    if (Number.isFinite(t) && t > 0) s.t = Math.min(Math.round(t * 10) / 10, 7 * 86400);
  }
  if (s.route === 'replays') {
    s.el = (q.get('el') ?? '').slice(0, 512);
    s.sort = oneOf(q.get('sort'), REPLAY_SORTS, DEFAULTS.sort);
  }
  if (s.route === 'funnels') {
    const f = new URLSearchParams();
    for (const [k, v] of q) if (isFunnelKey(k)) f.append(k, v);
    s.fq = f.toString();
  }
  return s;
}

/** Query keys that only mean something on one page (dropped when navigating elsewhere). */
const PAGE_KEYS: Partial<Record<Route, Array<keyof AppState>>> = {
  overview: ['metric', 'compare'],
  heatmaps: ['mode', 'view', 'kind', 'opacity', 'palette', 'scale'],
  settings: ['tab'],
  replays: ['session', 't', 'el', 'sort'],
};
const SHARED_KEYS: Array<keyof AppState> = ['project', 'period', 'from', 'to', 'bots', 'device', 'vw', 'path'];

/** The URL (path + query) of a state; defaults are left out. */
export function build(s: AppState): string {
  const q = new URLSearchParams();
  const keys = [...SHARED_KEYS, ...(PAGE_KEYS[s.route] ?? [])];
  for (const k of keys) {
    const v = s[k];
    if (k === 'from' || k === 'to') {
      if (s.period === 'custom' && v) q.set(k, String(v));
      continue;
    }
    if (k === 'compare') {
      if (v) q.set('compare', 'previous');
      continue;
    }
    if (v === DEFAULTS[k] || v === '') continue;
    q.set(k, String(v));
  }
  const route = s.route === 'notfound' ? 'overview' : s.route;
  if (route === 'funnels' && s.fq) for (const [k, v] of new URLSearchParams(s.fq)) if (isFunnelKey(k)) q.append(k, v);
  const qs = q.toString();
  return BASE + route + (qs ? '?' + qs : '');
}

/** A state change: merges `patch` into `s`. */
export function with_(s: AppState, patch: Partial<AppState>): AppState {
  return { ...s, ...patch };
}

/** Esc: the filters cleared (device, viewport, page filter on the overview), nothing else. */
export function clearFilters(s: AppState): AppState {
  return { ...s, device: '', vw: '', el: '', path: s.route === 'heatmaps' ? s.path : '' };
}

/** Funnels take no page, device or width filter (each step says its own page). */
export function hasFilters(s: AppState): boolean {
  if (s.route === 'funnels') return false;
  return s.device !== '' || s.vw !== '' || s.el !== '' || (s.route !== 'heatmaps' && s.path !== '');
}
