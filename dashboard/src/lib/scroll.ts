// Scroll-map math (DESIGN §5, UX.md "Scroll map"): the reach curve (share of page views that reached
// at least each depth), reading it at any depth, the 100/75/50/25 % markers, and the band colours.
// Pure functions.

export interface HistogramRow {
  depth_pct: number;
  count: number;
}
export interface ReachRow {
  depth_pct: number;
  pct: number;
}

/** 101 values, reach[d] = % of views whose deepest point was ≥ d. */
export function reachFromHistogram(hist: readonly HistogramRow[]): number[] {
  const counts = new Array<number>(101).fill(0);
  let views = 0;
  for (const r of hist) {
    const d = Math.min(100, Math.max(0, Math.round(r.depth_pct)));
    counts[d]! += r.count;
    views += r.count;
  }
  const out = new Array<number>(101).fill(0);
  let acc = 0;
  for (let d = 100; d >= 0; d--) {
    acc += counts[d]!;
    out[d] = views ? (100 * acc) / views : 0;
  }
  return out;
}

/** The API's reach rows as a dense 101-value array (missing depths carry the next known value). */
export function reachArray(rows: readonly ReachRow[] | undefined, hist: readonly HistogramRow[]): number[] {
  if (!rows || rows.length === 0) return reachFromHistogram(hist);
  const out = new Array<number>(101).fill(NaN);
  for (const r of rows) if (r.depth_pct >= 0 && r.depth_pct <= 100) out[Math.round(r.depth_pct)] = r.pct;
  let next = 0;
  for (let d = 100; d >= 0; d--) {
    if (Number.isNaN(out[d]!)) out[d] = next;
    else next = out[d]!;
  }
  return out;
}

/** Reach (0..100) at a fractional depth, linearly interpolated between whole percents. */
export function reachAt(reach: readonly number[], depth: number): number {
  if (reach.length === 0) return 0;
  const d = Math.min(100, Math.max(0, depth));
  const lo = Math.floor(d);
  const hi = Math.min(100, lo + 1);
  const f = d - lo;
  return reach[lo]! * (1 - f) + reach[hi]! * f;
}

export interface Marker {
  level: number; // 100, 75, 50, 25
  depth: number; // the deepest depth (0..100) still reached by `level` % of views
}

/**
 * Markers at 100/75/50/25 %: the deepest depth reached by at least that share of views. As in
 * Clarity, a marker is shown only when the curve passes within ±2 points of its level (a curve that
 * drops from 90 % to 10 % in one step has no meaningful 75/50/25 % line). 100 % is shown whenever
 * every view reached the top.
 */
export function markers(reach: readonly number[], levels: readonly number[] = [100, 75, 50, 25]): Marker[] {
  const out: Marker[] = [];
  if (reach.length < 101 || !(reach[0]! > 0)) return out;
  for (const level of levels) {
    let depth = -1;
    for (let d = 100; d >= 0; d--) {
      if (reach[d]! >= level - 1e-9) {
        depth = d;
        break;
      }
    }
    if (depth < 0) continue;
    const near = level === 100 ? reach[0]! >= 100 - 1e-9 : reach.some((v) => Math.abs(v - level) <= 2);
    if (near) out.push({ level, depth });
  }
  return out;
}

/** Band colour for a reach (0..100): hue 240 × (1 − reach), alpha 0.6 (Clarity). */
export function bandColor(reachPct: number, alpha = 0.6): string {
  const r = Math.min(1, Math.max(0, reachPct / 100));
  return `hsla(${Math.round(240 * (1 - r))}, 100%, 50%, ${alpha})`;
}

/** A fold line: its depth (viewport height over document height, 0..100) and where it came from. */
export interface Fold {
  pct: number;
  px: number;
  /** true: the average of the views (API avg_fold_px); false: the rendered page's own viewport. */
  average: boolean;
}

/** The average fold of the views when the API has one, else the rendered page's first screen. */
export function pickFold(avgFoldPx: number | null | undefined, viewportH: number, docH: number): Fold | undefined {
  const average = typeof avgFoldPx === 'number' && avgFoldPx > 0;
  const px = average ? avgFoldPx : viewportH;
  const pct = foldPct(px, docH);
  return pct === undefined ? undefined : { pct, px, average };
}

/** The fold as a depth: viewport height over document height, 0..100. */
export function foldPct(viewportH: number, docH: number): number | undefined {
  if (!(viewportH > 0) || !(docH > 0)) return undefined;
  return Math.min(100, (100 * viewportH) / docH);
}

