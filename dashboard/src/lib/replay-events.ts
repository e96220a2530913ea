// What the replay player derives from a recording's rrweb events, as pure functions (unit-tested
// in dashboard/test): the stored chunk parsed, the markers of the timeline and the activity list
// (page views, clicks, inputs, errors, truncation), the idle stretches that "skip inactivity" jumps
// over, and the compressed timeline that draws those stretches narrow. Times are milliseconds from
// the recording's first event (the player's clock), never wall-clock.
//
// Everything here reads untrusted JSON: no field is assumed to exist or to have its type.

/** An rrweb event as stored (docs/formats/replay-chunk.md): type, timestamp, data. */
export interface RrEvent {
  type: number;
  timestamp: number;
  data?: any;
  [k: string]: unknown;
}

// rrweb's numbering (@rrweb/types EventType, IncrementalSource, MouseInteractions)
const META = 4;
const FULL = 2;
const INCR = 3;
const CUSTOM = 5;
const SRC_MOUSE_MOVE = 1;
const SRC_MOUSE_INTERACTION = 2;
const SRC_SCROLL = 3;
const SRC_RESIZE = 4;
const SRC_INPUT = 5;
const SRC_TOUCH_MOVE = 6;
const MI_CLICK = 2;
const MI_DBLCLICK = 4;
const MI_TOUCH_END = 9;

/** Parses a stored chunk (inflated JSONL: a header line, then one event per line). Bad lines are skipped. */
export function parseChunk(text: string): { header: Record<string, unknown> | null; events: RrEvent[] } {
  const lines = text.split('\n');
  let header: Record<string, unknown> | null = null;
  const events: RrEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    if (i === 0 && v && typeof v === 'object' && 'v' in v && 'chunk_index' in v) {
      header = v as Record<string, unknown>;
      continue;
    }
    if (isEvent(v)) events.push(v);
  }
  return { header, events };
}

export function isEvent(v: unknown): v is RrEvent {
  if (!v || typeof v !== 'object') return false;
  const e = v as RrEvent;
  return Number.isInteger(e.type) && typeof e.timestamp === 'number' && Number.isFinite(e.timestamp);
}

/** Events of several chunks in time order (stable: equal timestamps keep their recorded order). */
export function mergeEvents(chunks: RrEvent[][]): RrEvent[] {
  const all = chunks.flat();
  return all.map((e, i) => [e, i] as const).sort((a, b) => a[0].timestamp - b[0].timestamp || a[1] - b[1]).map((x) => x[0]);
}

export type MarkerKind = 'page' | 'click' | 'input' | 'error' | 'truncated' | 'paused';

export interface Marker {
  kind: MarkerKind;
  /** ms from the first event */
  t: number;
  /** what the activity list shows: a URL, an error message… (untrusted text: render as text) */
  label: string;
}

/** A user interaction in rrweb's sense (what "skip inactivity" treats as activity). */
function isInteraction(e: RrEvent): boolean {
  if (e.type !== INCR) return false;
  const s = e.data?.source;
  return s === SRC_MOUSE_MOVE || s === SRC_MOUSE_INTERACTION || s === SRC_SCROLL || s === SRC_RESIZE || s === SRC_INPUT || s === SRC_TOUCH_MOVE;
}

const str = (v: unknown, max = 300): string => (typeof v === 'string' ? v.slice(0, max) : '');

/**
 * The timeline's markers, in time order: a page view per meta event (its URL), clicks and taps,
 * inputs (one per field per burst of typing: a second apart at least), errors, the truncation and
 * mutation-storm markers of the recorder (docs/replay.md#markers). `truncated` adds a truncation
 * marker at the end when the recording has none (the server refused the chunk that would have
 * carried it).
 */
export function extractMarkers(events: RrEvent[], opts: { truncated?: boolean } = {}): Marker[] {
  if (events.length === 0) return [];
  const t0 = events[0]!.timestamp;
  const out: Marker[] = [];
  const lastInput = new Map<unknown, number>();
  for (const e of events) {
    const t = e.timestamp - t0;
    if (e.type === META) {
      const href = str(e.data?.href, 2048);
      const prev = [...out].reverse().find((m) => m.kind === 'page');
      // a full snapshot every 5 minutes repeats the meta event of the same page
      if (!prev || prev.label !== href) out.push({ kind: 'page', t, label: href });
    } else if (e.type === INCR && e.data?.source === SRC_MOUSE_INTERACTION) {
      const k = e.data?.type;
      if (k === MI_CLICK || k === MI_DBLCLICK || k === MI_TOUCH_END) out.push({ kind: 'click', t, label: k === MI_TOUCH_END ? 'Tap' : k === MI_DBLCLICK ? 'Double click' : 'Click' });
    } else if (e.type === INCR && e.data?.source === SRC_INPUT) {
      const id = e.data?.id;
      const last = lastInput.get(id);
      lastInput.set(id, t);
      if (last === undefined || t - last > 1000) out.push({ kind: 'input', t, label: 'Input' });
    } else if (e.type === CUSTOM) {
      const tag = str(e.data?.tag, 100);
      const p = e.data?.payload;
      if (tag === 'tapistry.error') out.push({ kind: 'error', t, label: str(p?.message) || 'JavaScript error' });
      else if (tag === 'tapistry.truncated') out.push({ kind: 'truncated', t, label: 'Recording truncated (size cap reached)' });
      else if (tag === 'tapistry.paused') out.push({ kind: 'paused', t, label: 'Recording paused (too many page changes)' });
    }
  }
  if (opts.truncated && !out.some((m) => m.kind === 'truncated')) {
    out.push({ kind: 'truncated', t: events[events.length - 1]!.timestamp - t0, label: 'Recording truncated (size cap reached)' });
  }
  return out;
}

/** A stretch with no user interaction, [from, to] in ms from the first event. */
export interface Span {
  from: number;
  to: number;
}

/** Stretches longer than this are idle. */
export const IDLE_MS = 5000;
/** How much of an idle stretch is kept on each side when it is skipped (and its width when drawn). */
export const IDLE_KEEP_MS = 500;

/**
 * The idle stretches: gaps longer than `threshold` between interactions (mouse, scroll, resize,
 * input, touch), page loads (meta / full snapshot events) and the recorder's markers, trimmed by
 * `IDLE_KEEP_MS` at each end so a skip lands just before the activity resumes. `end` is the
 * recording's length: the gap after the last activity counts too.
 */
export function idleSpans(events: RrEvent[], end: number, threshold = IDLE_MS): Span[] {
  if (events.length === 0) return [];
  const t0 = events[0]!.timestamp;
  const spans: Span[] = [];
  let last = 0;
  const gap = (t: number) => {
    if (t - last > threshold) spans.push({ from: last + IDLE_KEEP_MS, to: t - IDLE_KEEP_MS });
  };
  for (const e of events) {
    if (!(isInteraction(e) || e.type === META || e.type === FULL || e.type === CUSTOM)) continue;
    const t = e.timestamp - t0;
    if (t < last) continue;
    gap(t);
    last = t;
  }
  gap(end);
  return spans;
}

/** Where playback goes when it reaches `t` with skipping on: past the idle stretch holding t, or t. */
export function skipTarget(spans: Span[], t: number): number {
  for (const s of spans) if (t >= s.from && t < s.to) return s.to;
  return t;
}

/**
 * The timeline's geometry: position (0..1) of a time and back. With `compress`, each idle stretch
 * is drawn as wide as `IDLE_KEEP_MS` of activity, so a long session with a few seconds of clicks
 * is not a bare line with a few ticks.
 */
export class Timeline {
  private readonly spans: Span[];
  private readonly shown: number;

  constructor(
    readonly duration: number,
    spans: Span[],
    compress: boolean,
  ) {
    this.spans = compress ? spans.filter((s) => s.to > s.from && s.from >= 0 && s.to <= duration) : [];
    this.shown = Math.max(1, duration - this.spans.reduce((a, s) => a + (s.to - s.from - IDLE_KEEP_MS), 0));
  }

  /** The drawn stretches: [from, to] as fractions of the bar's width. */
  idleBands(): Array<{ from: number; to: number }> {
    return this.spans.map((s) => ({ from: this.pos(s.from), to: this.pos(s.to) }));
  }

  /** Time (ms) → fraction of the bar. */
  pos(t: number): number {
    const c = Math.min(Math.max(t, 0), this.duration);
    let x = c;
    for (const s of this.spans) {
      if (c >= s.to) x -= s.to - s.from - IDLE_KEEP_MS;
      else if (c > s.from) x -= ((c - s.from) / (s.to - s.from)) * (s.to - s.from - IDLE_KEEP_MS);
    }
    return Math.min(1, Math.max(0, x / this.shown));
  }

  /** Fraction of the bar → time (ms); the inverse of pos. */
  time(p: number): number {
    let x = Math.min(Math.max(p, 0), 1) * this.shown;
    let t = 0;
    for (const s of this.spans) {
      // x is measured from t: the active stretch up to s.from, then the compressed span
      const active = s.from - t;
      if (x <= active) return t + x;
      x -= active;
      if (x <= IDLE_KEEP_MS) return s.from + (x / IDLE_KEEP_MS) * (s.to - s.from);
      x -= IDLE_KEEP_MS;
      t = s.to;
    }
    return Math.min(this.duration, t + x);
  }
}

/** The page on screen at `t`: the URL of the last page-view marker at or before it. */
export function urlAt(markers: Marker[], t: number): string {
  let url = '';
  for (const m of markers) {
    if (m.t > t) break;
    if (m.kind === 'page') url = m.label;
  }
  return url;
}

/** Index of the activity-list entry playing at `t` (the last marker at or before it), or -1. */
export function currentMarker(markers: Marker[], t: number): number {
  let i = -1;
  for (let k = 0; k < markers.length; k++) {
    if (markers[k]!.t <= t) i = k;
    else break;
  }
  return i;
}

/** "1:05", "1:02:09" for a player clock. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export const SPEEDS = [0.5, 1, 2, 4, 8] as const;
