// Heatmap math (UX.md "Our spec", spec §17.1, DESIGN §5): the two scales, intensity, the kernel, the
// palettes, and colourizing a density buffer. Pure functions, shared by the dashboard's viewer and
// the bookmarklet overlay; the canvas drawing lives in heat-render.ts.

export interface Tile {
  i: number;
  j: number;
  count: number;
}

export const GRID = 64;

/** Nearest-rank percentile (p in 0..1) of the values; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1]!;
}

/**
 * What the heat layer draws: `count` clicks spread over a box centred at (u, v) with standard
 * deviations (su, sv), all as fractions of the document. A 64×64 document tile is one spot; so is
 * each cell of an element's 16×16 click grid, placed in the element's box where the page being shown
 * lays it out (so a click lands on its element whatever the layout).
 */
export interface Spot {
  u: number;
  v: number;
  su: number;
  sv: number;
  count: number;
}

/** Spread (standard deviation) of clicks uniform over a side of length s: s / √12. */
const spread = (s: number) => s / Math.sqrt(12);

export function spotsOfTiles(tiles: readonly Tile[], grid = GRID): Spot[] {
  return tiles.map((t) => ({ u: (t.i + 0.5) / grid, v: (t.j + 0.5) / grid, su: spread(1 / grid), sv: spread(1 / grid), count: t.count }));
}

/** An element's grid cells ([cell index = gy·grid + gx, count]) inside its box (document px) → spots. */
export function spotsInBox(cells: ReadonlyArray<readonly [number, number]>, box: { x: number; y: number; w: number; h: number }, doc: { w: number; h: number }, grid: number): Spot[] {
  const cw = box.w / grid;
  const ch = box.h / grid;
  return cells.map(([c, count]) => ({
    u: (box.x + ((c % grid) + 0.5) * cw) / doc.w,
    v: (box.y + (Math.floor(c / grid) + 0.5) * ch) / doc.h,
    su: spread(cw / doc.w),
    sv: spread(ch / doc.h),
    count,
  }));
}

/**
 * Clicks of the spots whose box holds the document point (u, v); a box is at least `minU` × `minV`
 * from its centre each way (fractions of the document), so a small element's cell under the
 * drawn blob is found by a pointer near it.
 */
export function countAt(spots: readonly Spot[], u: number, v: number, minU = 0, minV = 0): number {
  const half = Math.sqrt(3); // a box of side s has sd s/√12: its half side is sd·√3
  let n = 0;
  for (const p of spots) {
    if (Math.abs(u - p.u) <= Math.max(p.su * half, minU) + 1e-9 && Math.abs(v - p.v) <= Math.max(p.sv * half, minV) + 1e-9) n += p.count;
  }
  return n;
}

/** The scale of a heatmap: the 99th percentile of the non-empty tiles, so one outlier cannot wash out the rest. */
export function p99<T extends { count: number }>(tiles: readonly T[]): number {
  return percentile(
    tiles.filter((t) => t.count > 0).map((t) => t.count),
    0.99,
  );
}

/**
 * How counts become colour. `log` (the default, spec §17.1): log(1 + count) / log(1 + max), so every
 * tile with a click shows and the busiest is red. `p99` (UX.md, Clarity's formula with the 99th
 * percentile for the max): min(count / p99 + 0.15, 1), so one outlier cannot wash out the rest.
 */
export type HeatScale = 'log' | 'p99';
export const HEAT_SCALES: HeatScale[] = ['log', 'p99'];

/** The count a scale divides by: the busiest tile (log) or the 99th percentile (p99). */
export function scaleOf<T extends { count: number }>(tiles: readonly T[], mode: HeatScale): number {
  if (mode === 'p99') return p99(tiles);
  let max = 0;
  for (const t of tiles) max = Math.max(max, t.count);
  return max;
}

/** Intensity (kernel alpha, 0..1) of a tile with `count` clicks under `scale` = scaleOf(...). */
export function intensity(count: number, scale: number, mode: HeatScale): number {
  if (count <= 0) return 0;
  if (scale <= 0) return 1;
  if (mode === 'log') return Math.min(1, Math.log1p(count) / Math.log1p(scale));
  return Math.min(count / scale + 0.15, 1);
}

/** The count at the legend's right end: tiles with this many or more are drawn at full colour. */
export function fullColourAt(scale: number, mode: HeatScale): number {
  return mode === 'log' ? Math.max(1, scale) : Math.max(1, Math.ceil(scale * 0.85));
}

/** The tile a document-relative point (0..1) falls in (DESIGN §5). */
export function tileOf(x: number, y: number, grid = GRID): { i: number; j: number } {
  const c = (v: number) => Math.min(grid - 1, Math.max(0, Math.floor(v * grid)));
  return { i: c(x), j: c(y) };
}

export interface Geometry {
  /** Canvas size in device pixels. */
  width: number;
  height: number;
  /** Kernel radius in device pixels (20 CSS px × devicePixelRatio, UX.md). */
  radius: number;
}

/**
 * Where a spot's kernel goes on the canvas: centred on the spot, with a Gaussian whose sigma per
 * axis combines the kernel (σ = radius / 2) with the spread of the spot's clicks, so tall tiles of
 * a long page stay smooth and a small element's cell stays a point.
 */
export function kernelOf(p: Spot, g: Geometry): { cx: number; cy: number; sx: number; sy: number } {
  const sk = g.radius / 2;
  const sx = p.su * g.width;
  const sy = p.sv * g.height;
  return { cx: p.u * g.width, cy: p.v * g.height, sx: Math.sqrt(sk * sk + sx * sx), sy: Math.sqrt(sk * sk + sy * sy) };
}

/** Gaussian alpha at distance r for sigma s (1 at the centre). */
export function gaussian(r: number, s: number): number {
  return Math.exp(-(r * r) / (2 * s * s));
}

/** Alpha compositing of kernels ("source-over"): 1 − Π(1 − aᵢ). */
export function composite(alphas: readonly number[]): number {
  let keep = 1;
  for (const a of alphas) keep *= 1 - Math.min(1, Math.max(0, a));
  return 1 - keep;
}

export type Stop = [number, string];

/** Classic: 0 transparent, .25 blue, .55 green, .85 yellow, 1 red (UX.md, heatmap.js defaults). */
export const CLASSIC: Stop[] = [
  [0.25, '#0000ff'],
  [0.55, '#00ff00'],
  [0.85, '#ffff00'],
  [1, '#ff0000'],
];
/** Colour-blind-safe: viridis (perceptually uniform, readable with every common colour deficiency). */
export const COLORBLIND: Stop[] = [
  [0.25, '#3b528b'],
  [0.55, '#21918c'],
  [0.85, '#5ec962'],
  [1, '#fde725'],
];

export function paletteStops(name: 'classic' | 'cb'): Stop[] {
  return name === 'cb' ? COLORBLIND : CLASSIC;
}

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * A 256-entry RGBA lookup table from density (0..255) to colour. Below the first stop the colour is
 * the first stop's and alpha ramps linearly from 0 (transparent at 0); from the first stop on, alpha
 * is 255.
 */
export function lut(stops: readonly Stop[]): Uint8ClampedArray {
  const out = new Uint8ClampedArray(256 * 4);
  for (let k = 0; k < 256; k++) {
    const t = k / 255;
    let c: [number, number, number];
    let a = 255;
    const first = stops[0]!;
    if (t <= first[0]) {
      c = rgb(first[1]);
      a = Math.round((t / first[0]) * 255);
    } else {
      let n = 1;
      while (n < stops.length - 1 && t > stops[n]![0]) n++;
      const [t0, h0] = stops[n - 1]!;
      const [t1, h1] = stops[n]!;
      const f = t1 === t0 ? 1 : Math.min(1, (t - t0) / (t1 - t0));
      const c0 = rgb(h0);
      const c1 = rgb(h1);
      c = [0, 1, 2].map((x) => Math.round(c0[x]! + (c1[x]! - c0[x]!) * f)) as [number, number, number];
    }
    out.set([c[0], c[1], c[2], a], k * 4);
  }
  return out;
}

/** CSS gradient for the legend bar. */
export function legendGradient(stops: readonly Stop[]): string {
  const parts = [`${stops[0]![1]}00 0%`, ...stops.map(([t, c]) => `${c} ${Math.round(t * 100)}%`)];
  return `linear-gradient(to right, ${parts.join(', ')})`;
}

/**
 * In place: turns a buffer whose alpha channel holds the density into colours from `table`, with the
 * final alpha scaled by `opacity` (0..0.8). Untouched pixels (alpha 0) stay transparent.
 */
export function colorize(data: Uint8ClampedArray, table: Uint8ClampedArray, opacity: number): void {
  const op = Math.min(1, Math.max(0, opacity));
  for (let p = 3; p < data.length; p += 4) {
    const a = data[p]!;
    if (a === 0) continue;
    const o = a * 4;
    data[p - 3] = table[o]!;
    data[p - 2] = table[o + 1]!;
    data[p - 1] = table[o + 2]!;
    data[p] = table[o + 3]! * op;
  }
}

/** The tile under a point of the canvas, with its count (0 when empty). */
export function tileAt(tiles: readonly Tile[], x: number, y: number, width: number, height: number, grid = GRID): Tile {
  const { i, j } = tileOf(x / width, y / height, grid);
  return tiles.find((t) => t.i === i && t.j === j) ?? { i, j, count: 0 };
}

/** CSV of tiles (i,j,count), as the API's format=csv. */
export function tilesCsv(tiles: readonly Tile[]): string {
  return 'i,j,count\n' + tiles.map((t) => `${t.i},${t.j},${t.count}`).join('\n') + '\n';
}
