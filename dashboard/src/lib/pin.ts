// Element mode: pins each clicked element's stats on the element as it is laid out in the page being
// shown (snapshot or live), by selector and element-relative position, so badges land on the element
// wherever the layout puts it; elements no longer in the page are counted and listed, never dropped.
// Pure functions: the caller supplies a `locate(selector)` that measures the element.
import type { ElementHeat } from '../api/types';
import { type Spot, spotsInBox, spotsOfTiles } from './heat';

export interface ElementStat {
  selector_hash: string;
  selector: string;
  clicks: number;
  rage: number;
  dead: number;
  ex: number;
  ey: number;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** An element as the page being shown lays it out: its box, and what a person would call it (lib/label.ts). */
export type Located = Rect & { label?: string };
export type Locate = (selector: string) => Located | null | 'hidden';

export interface Pinned extends ElementStat {
  /** "link “Pricing”", when the element has a name in the page shown. */
  label?: string;
  rank: number;
  share: number; // of all clicks, 0..1
  rect: Rect;
  /** Mean click position on the element, document coordinates. */
  point: { x: number; y: number };
  /** Where the count badge goes (top-right corner, kept inside the document). */
  badge: { x: number; y: number };
}

export interface Unplaced extends ElementStat {
  rank: number;
  share: number;
  reason: 'missing' | 'hidden' | 'no-selector';
}

export const BADGE_W = 44;
export const BADGE_H = 22;

/** Element-relative position (0..1 each) → document coordinates. */
export function pointIn(r: Rect, ex: number, ey: number): { x: number; y: number } {
  const cx = Math.min(1, Math.max(0, Number.isFinite(ex) ? ex : 0.5));
  const cy = Math.min(1, Math.max(0, Number.isFinite(ey) ? ey : 0.5));
  return { x: r.x + cx * r.w, y: r.y + cy * r.h };
}

/** The badge's top-left: straddling the element's top-right corner, clamped into the document. */
export function badgeAt(r: Rect, docW: number, docH: number, bw = BADGE_W, bh = BADGE_H): { x: number; y: number } {
  const x = Math.min(Math.max(0, r.x + r.w - bw / 2), Math.max(0, docW - bw));
  const y = Math.min(Math.max(0, r.y - bh / 2), Math.max(0, docH - bh));
  return { x, y };
}

export function place(
  elements: readonly ElementStat[],
  totalClicks: number,
  locate: Locate,
  doc: { w: number; h: number },
): { pinned: Pinned[]; unplaced: Unplaced[]; unplacedClicks: number } {
  const total = totalClicks > 0 ? totalClicks : elements.reduce((a, e) => a + e.clicks, 0);
  const pinned: Pinned[] = [];
  const unplaced: Unplaced[] = [];
  let unplacedClicks = 0;
  elements.forEach((e, k) => {
    const base = { ...e, rank: k + 1, share: total > 0 ? e.clicks / total : 0 };
    const r = e.selector ? locate(e.selector) : null;
    if (r && r !== 'hidden' && r.w > 0 && r.h > 0) {
      const rect = { x: r.x, y: r.y, w: r.w, h: r.h };
      pinned.push({ ...base, label: r.label || undefined, rect, point: pointIn(rect, e.ex, e.ey), badge: badgeAt(rect, doc.w, doc.h) });
    } else {
      unplaced.push({ ...base, reason: !e.selector ? 'no-selector' : r === 'hidden' ? 'hidden' : 'missing' });
      unplacedClicks += e.clicks;
    }
  });
  return { pinned, unplaced, unplacedClicks };
}

/**
 * The heat layer in snapshot mode: each element's click grid drawn in the box where the page shown
 * lays the element out, and the clicks with no element as document tiles. Clicks on elements this
 * page does not have (or hides) cannot be drawn anywhere true: they are counted, not guessed.
 */
export function heatSpots(
  heat: ElementHeat,
  locate: Locate,
  doc: { w: number; h: number },
): { spots: Spot[]; undrawn: number; undrawnElements: number } {
  const spots: Spot[] = spotsOfTiles(heat.unattached.map(([i, j, count]) => ({ i, j, count })));
  let drawn = 0;
  let undrawnElements = 0;
  for (const e of heat.elements) {
    const r = e.selector ? locate(e.selector) : null;
    if (r && r !== 'hidden' && r.w > 0 && r.h > 0) {
      spots.push(...spotsInBox(e.cells, r, doc, heat.grid));
      drawn += e.count;
    } else undrawnElements++;
  }
  // what is not drawn: elements the page lacks or hides, and elements beyond the API's limit
  const undrawn = heat.attributed - drawn;
  return { spots, undrawn, undrawnElements };
}

/** The innermost placed element under a document point (the smallest box holding it), if any. */
export function elementAt(pinned: readonly Pinned[], x: number, y: number): Pinned | undefined {
  let best: Pinned | undefined;
  for (const p of pinned) {
    const r = p.rect;
    if (x < r.x || y < r.y || x > r.x + r.w || y > r.y + r.h) continue;
    if (!best || r.w * r.h < best.rect.w * best.rect.h) best = p;
  }
  return best;
}

/** Badge colour by count/max: hsl(60 → 20, 100 %, 62 %) (PostHog's toolbar). */
export function badgeColor(count: number, max: number): string {
  const f = max > 0 ? Math.min(1, count / max) : 0;
  return `hsl(${Math.round(60 - 40 * f)}, 100%, 62%)`;
}

/** Element fill: hsla(4, 90 %, 58 %, 0.4 × count/max). */
export function fillColor(count: number, max: number): string {
  const f = max > 0 ? Math.min(1, count / max) : 0;
  return `hsla(4, 90%, 58%, ${(0.4 * f).toFixed(3)})`;
}

/** JSON export of element counts. */
export function elementsJson(path: string, range: { from: string; to: string }, elements: readonly ElementStat[], total: number): string {
  return JSON.stringify({ path, from: range.from, to: range.to, total_clicks: total, elements }, null, 2) + '\n';
}
