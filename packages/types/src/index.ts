// Wire types of `POST /i` (format v1), the contract between sdk/, dashboard/ and
// server/src/ingest/. docs/wire-format.md is the normative text; this file mirrors it key for key.
// Types only: importing this package adds no bytes to any bundle.

/** Event types the server accepts on `/i`. */
export type EventType =
  | 'page_view'
  | 'click'
  | 'scroll'
  | 'scroll_milestone'
  | 'custom'
  | 'mousemove';

export type DeviceClass = 'desktop' | 'mobile' | 'tablet';

/** UTM parameters, keys without the `utm_` prefix; values ≤ 256 chars. */
export interface Utm {
  source?: string;
  medium?: string;
  campaign?: string;
  term?: string;
  content?: string;
}

/** A hint only: the server derives the class from the User-Agent. */
export interface Device {
  mobile?: boolean;
  class?: DeviceClass;
}

/** CSS pixels, integers 0..20000. */
export interface Viewport {
  w: number;
  h: number;
}

/** Flat property bag: ≤ 50 keys, ≤ 4 KB as JSON. */
export type PropValue = string | number | boolean | null;
export type Props = Record<string, PropValue>;

/** Known `props` keys per event type (others are allowed and kept as-is). */
export interface ClickProps {
  /** 0 primary, 1 middle (auxiliary), 2 secondary. */
  button: 0 | 1 | 2;
  /** Third or later click within 1 s and 30 px. */
  rage?: boolean;
  /** No DOM change, scroll or navigation within 2.5 s after the click. */
  dead?: boolean;
}
export interface ScrollProps {
  /** Deepest bottom-of-viewport reached / document height, integer 0..100. */
  max_depth_pct: number;
}
export interface ScrollMilestoneProps {
  depth: number;
}
export interface PageViewProps {
  /** Normalized path of the previous page view (SPA) or same-origin referrer. */
  prev_path?: string;
}

/** One event in a batch. */
export interface WireEvent {
  /** UUID v4, idempotency key (48 h dedupe window on the server). */
  id: string;
  /** Milliseconds since epoch, client clock (corrected by the SDK's measured skew). */
  ts: number;
  type: EventType;
  /** Required for `custom` (the `track()` name), ≤ 128 chars. */
  name?: string;
  session_id: string;
  anonymous_id: string;
  /** ≤ 256 chars, set by `identify()`. */
  user_id?: string;
  /** Absolute http(s) URL ≤ 2048 chars, already sanitized by the SDK (the server re-sanitizes). */
  url: string;
  /** Normalized path; advisory, the server recomputes it from `url`. */
  path?: string;
  /** ≤ 512 chars. */
  title?: string;
  /** Absolute URL or empty, ≤ 2048 chars. */
  referrer?: string;
  utm?: Utm;
  device?: Device;
  viewport?: Viewport;
  /** 0..1: pageX / document width (clicks, mousemove). */
  x?: number;
  /** 0..1: pageY / document height (clicks, mousemove). */
  y?: number;
  /** 0..1: position inside the clicked element's box (clicks). */
  ex?: number;
  ey?: number;
  /** 64-bit hash of `selector`: 16 lowercase hex digits (FNV-1a 64 over UTF-8). */
  selector_hash?: string | number;
  /** ≤ 256 chars (the SDK caps at 128). */
  selector?: string;
  props?: Props;
}

/** Request body of `POST /i`. */
export interface Batch {
  /** Project public key; optional when the X-Project-Key header or `?k=` carries it. */
  k?: string;
  sdk: { ver: string };
  client?: { tz?: string; lang?: string };
  /** Client clock (ms) when the batch was sent. */
  sent_at?: number;
  /** 1..500 events. */
  events: WireEvent[];
}

export interface IngestError {
  index: number;
  id?: string;
  field?: string;
  reason: string;
}

/** 200/206 response body. */
export interface IngestResponse {
  accepted: number;
  duplicates?: number;
  rejected: number;
  errors?: IngestError[];
  warnings?: number | unknown[];
  server_time: number;
}

/** Every non-2xx response body. */
export interface ErrorResponse {
  error: string;
  reason: string;
}

/** Server-side fields on stored events (import files, `/api/events`). */
export interface StoredEvent extends WireEvent {
  device_class?: DeviceClass | 'unknown';
  country?: string;
  bot_score?: number;
}

/**
 * Request body of `POST /s` (docs/api.md "Snapshots"): a masked DOM snapshot of one page for the
 * heatmap. JSON, sent as `text/plain`, gzipped with `?gz=1`; ≤ 2 MB as sent.
 */
export interface SnapshotPost {
  /** Project public key; optional when `?k=` carries it. */
  k?: string;
  /** The page URL, sanitized like events' `url`; the server derives the path from it. */
  url: string;
  /** Viewport, CSS px, 1..20000: the server files the snapshot under its viewport bucket. */
  viewport: Viewport;
  /** The document's scroll size, CSS px, 1..200000. */
  doc: Viewport;
  /** The SDK's page-structure hash (an int32); GET /s compares the next page view's with it. */
  h?: number;
  /** The masked document (docs/sdk.md "Heatmap snapshots"). */
  html: string;
}
