// Draws a click heatmap on a canvas: one Gaussian kernel per spot (a document tile or a cell of an
// element's click grid, lib/heat.ts Spot) (alpha = intensity, composited
// source-over), then the density is colourized through the palette's lookup table. Canvases are
// capped at 8000 device pixels a side (bigger ones freeze browsers, PostHog's finding): a taller
// document is drawn at a lower resolution and stretched by CSS.

import { colorize, type HeatScale, intensity, kernelOf, lut, paletteStops, scaleOf, type Spot } from './heat';

export const MAX_CANVAS = 8000;
const STAMP = 96;

let stampCanvas: HTMLCanvasElement | undefined;

/** A Gaussian disc covering ±3σ, drawn once. */
function stamp(): HTMLCanvasElement {
  if (stampCanvas) return stampCanvas;
  const c = document.createElement('canvas');
  c.width = c.height = STAMP;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(STAMP, STAMP);
  const s = STAMP / 6;
  for (let y = 0; y < STAMP; y++) {
    for (let x = 0; x < STAMP; x++) {
      const dx = x + 0.5 - STAMP / 2;
      const dy = y + 0.5 - STAMP / 2;
      img.data[(y * STAMP + x) * 4 + 3] = Math.round(255 * Math.exp(-(dx * dx + dy * dy) / (2 * s * s)));
    }
  }
  ctx.putImageData(img, 0, 0);
  stampCanvas = c;
  return c;
}

export interface RenderOptions {
  /** The drawn area in CSS pixels (the document as displayed). */
  cssWidth: number;
  cssHeight: number;
  dpr: number;
  palette: 'classic' | 'cb';
  opacity: number;
  scale: HeatScale;
  /** Kernel radius in CSS pixels (20). */
  radius?: number;
}

export interface RenderResult {
  scale: number;
  max: number;
}

export function renderHeatmap(canvas: HTMLCanvasElement, spots: readonly Spot[], o: RenderOptions): RenderResult {
  const dpr = Math.max(1, o.dpr || 1);
  const res = Math.min(1, MAX_CANVAS / Math.max(1, o.cssHeight * dpr), MAX_CANVAS / Math.max(1, o.cssWidth * dpr));
  const w = Math.max(1, Math.round(o.cssWidth * dpr * res));
  const h = Math.max(1, Math.round(o.cssHeight * dpr * res));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  canvas.style.width = o.cssWidth + 'px';
  canvas.style.height = o.cssHeight + 'px';
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.clearRect(0, 0, w, h);
  const scale = scaleOf(spots, o.scale);
  if (spots.length === 0) return { scale, max: 0 };
  const radius = (o.radius ?? 20) * dpr * res;
  const st = stamp();
  let max = 0;
  for (const t of spots) {
    if (t.count <= 0) continue;
    max = Math.max(max, t.count);
    const k = kernelOf(t, { width: w, height: h, radius });
    ctx.globalAlpha = intensity(t.count, scale, o.scale);
    ctx.drawImage(st, k.cx - 3 * k.sx, k.cy - 3 * k.sy, 6 * k.sx, 6 * k.sy);
  }
  ctx.globalAlpha = 1;
  const img = ctx.getImageData(0, 0, w, h);
  colorize(img.data, lut(paletteStops(o.palette)), o.opacity);
  ctx.putImageData(img, 0, 0);
  return { scale, max };
}
