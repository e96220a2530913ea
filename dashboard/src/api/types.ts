// Response shapes of the read API (docs/api.md). Fields added by issue 4 are optional so the
// dashboard degrades gracefully against a server that does not send them yet.

export interface Me {
  signed_in: boolean;
  csrf: string;
}

export interface Project {
  id: string;
  name: string;
  public_key: string;
  created_ms: number;
  /** the Demo project behind the server's /demo/ site */
  demo?: boolean;
  allowed_origins: string[];
  /** the signed-in user's role in the project (GET /api/projects) */
  role?: 'owner' | 'member';
}

export interface Totals {
  pageviews: number;
  sessions: number;
  visitors: number;
  bounce_rate?: number;
  avg_session_ms?: number;
  views_per_session?: number;
}

export interface SeriesDay extends Totals {
  /** A day of the series (interval=day): YYYY-MM-DD. */
  date: string;
  /** A UTC hour of the series (interval=hour): YYYY-MM-DDTHH:00Z. */
  hour?: string;
}

export interface Overview {
  totals: Totals;
  series: SeriesDay[];
  top_pages: Array<{ path: string; pageviews: number; sessions: number }>;
  live_visitors?: number;
  timezone?: string;
  /** What the bot filter left out of the totals (or, with bots=include, what bots are of them). */
  bots?: { excluded?: boolean; pageviews: number; visitors: number };
}

export type Dimension =
  | 'page'
  | 'entry_page'
  | 'referrer'
  | 'utm_source'
  | 'utm_medium'
  | 'utm_campaign'
  | 'device'
  | 'browser'
  | 'os'
  | 'country';

export interface Breakdown {
  dimension: Dimension;
  rows: Array<{ value: string; visitors: number; pageviews: number }>;
  total_visitors: number;
}

export interface Heatmap {
  grid: number;
  tiles: Array<{ i: number; j: number; count: number }>;
  total: number;
  pageviews?: number;
  kind?: string;
}

export interface Scrollmap {
  histogram: Array<{ depth_pct: number; count: number }>;
  views: number;
  reach?: Array<{ depth_pct: number; pct: number }>;
  /** Mean viewport height (CSS px) of the views; null when none reported one. */
  avg_fold_px?: number | null;
}

export interface Elements {
  elements: Array<{ selector_hash: string; selector: string; clicks: number; rage: number; dead: number; ex: number; ey: number }>;
  total_clicks: number;
}

/** GET /api/layouts: page views and clicks of a page per (device class, viewport width bucket). */
export interface LayoutCount {
  device: string;
  vw: string;
  pageviews: number;
  clicks: number;
}
export interface Layouts {
  layouts: LayoutCount[];
}

/**
 * GET /api/heatmap/elements: each clicked element's clicks on a grid × grid grid over its own box
 * (cells [gy·grid + gx, count]), and the clicks with no element as 64×64 document tiles.
 */
export interface ElementHeat {
  grid: number;
  elements: Array<{ selector_hash: string; selector: string; count: number; cells: Array<[number, number]> }>;
  unattached: Array<[number, number, number]>;
  total: number;
  attributed: number;
  pageviews?: number;
}

export interface Paths {
  paths: Array<{ path: string; pageviews: number }>;
}

export interface Snapshot {
  url: string;
  captured_at: number;
  viewport: { w: number; h: number };
  doc: { w: number; h: number };
  html: string;
}

/** POST /api/bookmarklet-token: a `bt.` token that reads only this project's heatmap, scroll map,
 * element counts and snapshot, for 15 minutes, and ends with the session that made it. */
export interface BookmarkletToken {
  token: string;
  expires_at: number;
  ttl_ms?: number;
}

export interface SdkManifest {
  version: string;
  files: Record<string, { path: string; integrity: string; gzip: number }>;
  snippet?: string;
}

/** One step of POST /api/funnels/query (and of a breakdown row, without name and type). */
export interface FunnelStepOut {
  name?: string;
  type?: string;
  units: number;
  conversion_from_previous: number;
  conversion_from_first: number;
  dropped: number;
  conv_to_next: number | null;
  median_ms_from_previous: number;
  p90_ms_from_previous: number;
  avg_ms_from_previous: number;
}

export interface FunnelResult {
  from: string;
  to: string;
  mode: string;
  unit: string;
  window_ms: number;
  steps: FunnelStepOut[];
  entered: number;
  converted: number;
  overall_conversion: number;
  excluded_units: number;
  /** converted units by time to convert: [from_ms, to_ms), the last bucket open (to_ms null) */
  time_to_convert: Array<{ from_ms: number; to_ms: number | null; units: number }>;
  /** per day of the range: units that entered that day, and how many of them converted */
  trend: Array<{ date: string; entered: number; converted: number; conversion: number }>;
  /** { dimension: rows }, empty without a breakdown */
  breakdowns: Record<string, Array<{ value: string; steps: FunnelStepOut[]; overall_conversion: number }>>;
}

export interface SavedFunnel {
  id: string;
  name: string;
  definition: unknown;
  created_ms: number;
  updated_ms: number;
}

/** GET /api/event-names: custom event names with their properties' keys and common values. */
export interface EventNames {
  names: Array<{ name: string; events: number; properties: Array<{ key: string; values: Array<{ value: string; events: number }> }> }>;
  scanned: number;
  complete: boolean;
}

/** POST /api/funnels/members?furthest=K: the units whose furthest step is K (the last: converted). */
export interface FunnelMembers {
  furthest: number;
  unit: string;
  total: number;
  /** `recorded`: the session has a replay (the list links it) */
  members: Array<{ session_id: string; anonymous_id?: string; entered_ms: number; reached_ms: number; device: string; country: string; recorded?: boolean }>;
}

/** GET /api/replays (docs/api.md#replays): one recorded session. */
export interface ReplaySession {
  session_id: string;
  first_ts: number;
  last_ts: number;
  duration_ms: number;
  chunks: number;
  bytes: number;
  events: number;
  truncated: boolean;
}

export interface ReplayChunk {
  chunk_index: number;
  first_ts: number;
  last_ts: number;
  bytes: number;
  events: number;
}
