import { expect, test } from 'vitest';
import { BADGE_H, BADGE_W, badgeAt, badgeColor, elementAt, elementsJson, fillColor, place, pointIn, type Rect } from '../src/lib/pin';

const el = (selector: string, clicks: number, ex = 0.5, ey = 0.5) => ({ selector_hash: String(clicks), selector, clicks, rage: 0, dead: 0, ex, ey });

test('element-relative positions land on the element wherever it is laid out', () => {
  const narrow: Rect = { x: 10, y: 900, w: 300, h: 50 };
  const wide: Rect = { x: 600, y: 200, w: 200, h: 40 };
  expect(pointIn(narrow, 0.25, 0.75)).toEqual({ x: 85, y: 937.5 });
  expect(pointIn(wide, 0.25, 0.75)).toEqual({ x: 650, y: 230 });
  expect(pointIn(wide, 2, -1)).toEqual({ x: 800, y: 200 }); // clamped into the box
  expect(pointIn(wide, NaN, NaN)).toEqual({ x: 700, y: 220 });
});

test('badges straddle the top-right corner and stay inside the document', () => {
  expect(badgeAt({ x: 100, y: 100, w: 200, h: 40 }, 1000, 1000)).toEqual({ x: 300 - BADGE_W / 2, y: 100 - BADGE_H / 2 });
  expect(badgeAt({ x: 900, y: 0, w: 100, h: 40 }, 1000, 1000)).toEqual({ x: 1000 - BADGE_W, y: 0 });
});

test('elements not in the page are counted and listed, never dropped', () => {
  const rects: Record<string, Rect | 'hidden'> = { '#cta': { x: 0, y: 0, w: 100, h: 40 }, '#menu': 'hidden' };
  const r = place([el('#cta', 60), el('#gone', 30), el('#menu', 8), el('', 2)], 100, (s) => rects[s] ?? null, { w: 1000, h: 2000 });
  expect(r.pinned.map((p) => [p.selector, p.rank, p.share])).toEqual([['#cta', 1, 0.6]]);
  expect(r.unplaced.map((u) => [u.selector, u.reason])).toEqual([
    ['#gone', 'missing'],
    ['#menu', 'hidden'],
    ['', 'no-selector'],
  ]);
  expect(r.unplacedClicks).toBe(40);
  expect(r.pinned.reduce((a, p) => a + p.clicks, 0) + r.unplacedClicks).toBe(100);
});

test('colours scale with count/max', () => {
  expect(badgeColor(10, 10)).toBe('hsl(20, 100%, 62%)');
  expect(badgeColor(0, 10)).toBe('hsl(60, 100%, 62%)');
  expect(fillColor(5, 10)).toBe('hsla(4, 90%, 58%, 0.200)');
  expect(JSON.parse(elementsJson('/p', { from: 'a', to: 'b' }, [el('#x', 1)], 1))).toMatchObject({ path: '/p', total_clicks: 1, elements: [{ selector: '#x' }] });
});

test('elementAt: the innermost placed element under a point, none off every box', () => {
  const stat = (selector: string) => ({ selector_hash: selector, selector, clicks: 1, rage: 0, dead: 0, ex: 0.5, ey: 0.5 });
  const boxes: Record<string, Rect> = { main: { x: 0, y: 0, w: 1000, h: 800 }, '#cta': { x: 100, y: 100, w: 200, h: 50 } };
  const { pinned } = place([stat('main'), stat('#cta')], 2, (s) => boxes[s] ?? null, { w: 1000, h: 2000 });
  expect(elementAt(pinned, 150, 120)?.selector).toBe('#cta');
  expect(elementAt(pinned, 300, 150)?.selector).toBe('#cta'); // edges belong to the box
  expect(elementAt(pinned, 500, 500)?.selector).toBe('main');
  expect(elementAt(pinned, 500, 900)).toBeUndefined();
  expect(elementAt([], 1, 1)).toBeUndefined();
});

test('heatSpots: element grids drawn in their boxes, unattached clicks as tiles, missing elements counted', async () => {
  const { heatSpots } = await import('../src/lib/pin');
  const heat = {
    grid: 16,
    total: 12,
    attributed: 10,
    pageviews: 3,
    elements: [
      { selector_hash: '1', selector: '#buy', count: 6, cells: [[136, 6]] as Array<[number, number]> }, // cell (8, 8): the middle
      { selector_hash: '2', selector: '#gone', count: 3, cells: [[0, 3]] as Array<[number, number]> },
    ],
    unattached: [[10, 20, 2]] as Array<[number, number, number]>,
  };
  const locate = (s: string) => (s === '#buy' ? { x: 100, y: 400, w: 160, h: 40, label: 'button “Buy”' } : null);
  const r = heatSpots(heat, locate, { w: 1000, h: 2000 });
  expect(r.spots).toHaveLength(2);
  const tile = r.spots[0]!;
  expect(tile.count).toBe(2);
  expect(tile.u).toBeCloseTo(10.5 / 64);
  const buy = r.spots[1]!;
  expect(buy.count).toBe(6);
  expect(buy.u * 1000).toBeCloseTo(100 + 8.5 * 10);
  expect(buy.v * 2000).toBeCloseTo(400 + 8.5 * 2.5);
  // #gone (3) and the element beyond the limit (10 − 6 − 3 = 1) are not drawn
  expect(r.undrawn).toBe(4);
  expect(r.undrawnElements).toBe(1);
});
