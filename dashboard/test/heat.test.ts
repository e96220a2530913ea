import { expect, test } from 'vitest';
import { CLASSIC, colorize, composite, countAt, fullColourAt, gaussian, intensity, kernelOf, lut, p99, percentile, scaleOf, spotsInBox, spotsOfTiles, tileAt, tileOf, tilesCsv } from '../src/lib/heat';

const tile = (i: number, j: number) => spotsOfTiles([{ i, j, count: 1 }])[0]!;

test('p99 is a nearest-rank percentile of the non-empty tiles', () => {
  expect(percentile([], 0.99)).toBe(0);
  expect(percentile([5], 0.99)).toBe(5);
  const counts = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  expect(percentile(counts, 0.99)).toBe(99);
  expect(percentile(counts, 0.5)).toBe(50);
  // one outlier does not set the scale
  const tiles = [...Array.from({ length: 199 }, (_, i) => ({ i: i % 64, j: Math.floor(i / 64), count: 10 })), { i: 0, j: 60, count: 100000 }];
  expect(p99(tiles)).toBe(10);
  expect(p99([{ i: 0, j: 0, count: 0 }])).toBe(0);
});

test('p99 intensity = min(count/p99 + 0.15, 1)', () => {
  expect(intensity(0, 10, 'p99')).toBe(0);
  expect(intensity(1, 10, 'p99')).toBeCloseTo(0.25);
  expect(intensity(5, 10, 'p99')).toBeCloseTo(0.65);
  expect(intensity(9, 10, 'p99')).toBe(1);
  expect(intensity(100000, 10, 'p99')).toBe(1);
  expect(intensity(3, 0, 'p99')).toBe(1);
  expect(fullColourAt(10, 'p99')).toBe(9); // 0.85 × p99, rounded up: 9/10 + 0.15 ≥ 1
});

test('log intensity = log(1 + count) / log(1 + max) (spec §17.1)', () => {
  const tiles = [
    { i: 0, j: 0, count: 1 },
    { i: 1, j: 0, count: 9 },
    { i: 2, j: 0, count: 99 },
  ];
  expect(scaleOf(tiles, 'log')).toBe(99);
  expect(scaleOf(tiles, 'p99')).toBe(99);
  expect(intensity(0, 99, 'log')).toBe(0);
  expect(intensity(99, 99, 'log')).toBe(1);
  expect(intensity(9, 99, 'log')).toBeCloseTo(0.5); // log 10 / log 100
  expect(intensity(1, 99, 'log')).toBeCloseTo(Math.log(2) / Math.log(100));
  expect(intensity(3, 0, 'log')).toBe(1);
  expect(fullColourAt(99, 'log')).toBe(99);
  expect(scaleOf([], 'log')).toBe(0);
});

test('tiles follow DESIGN §5: i = min(63, floor(x·64))', () => {
  expect(tileOf(0, 0)).toEqual({ i: 0, j: 0 });
  expect(tileOf(1, 1)).toEqual({ i: 63, j: 63 });
  expect(tileOf(0.5, 0.015625)).toEqual({ i: 32, j: 1 });
  expect(tileOf(0.0156, 0.999)).toEqual({ i: 0, j: 63 });
  const tiles = [{ i: 10, j: 3, count: 17 }];
  expect(tileAt(tiles, (10.5 / 64) * 640, (3.5 / 64) * 6400, 640, 6400).count).toBe(17);
  expect(tileAt(tiles, 1, 1, 640, 6400).count).toBe(0);
});

test('the kernel: 20 px radius (σ = r/2) widened by the spread over the tile', () => {
  const k = kernelOf(tile(0, 0), { width: 6400, height: 6400, radius: 20 });
  expect(k.cx).toBeCloseTo(50);
  expect(k.cy).toBeCloseTo(50);
  expect(k.sx).toBeCloseTo(Math.sqrt(100 + 10000 / 12));
  // a narrow document: tiles are small and the kernel dominates
  const small = kernelOf(tile(63, 63), { width: 64, height: 64, radius: 20 });
  expect(small.cx).toBeCloseTo(63.5);
  expect(small.sx).toBeCloseTo(Math.sqrt(100 + 1 / 12));
  // devicePixelRatio 2: the caller doubles the radius
  expect(kernelOf(tile(0, 0), { width: 64, height: 64, radius: 40 }).sx).toBeCloseTo(Math.sqrt(400 + 1 / 12));
  expect(gaussian(0, 10)).toBe(1);
  expect(gaussian(10, 10)).toBeCloseTo(Math.exp(-0.5));
  expect(composite([0.5, 0.5])).toBeCloseTo(0.75);
  expect(composite([])).toBe(0);
});

test('the classic palette: transparent at 0, blue .25, green .55, yellow .85, red 1', () => {
  const t = lut(CLASSIC);
  const at = (v: number) => Array.from(t.slice(Math.round(v * 255) * 4, Math.round(v * 255) * 4 + 4));
  expect(at(0)[3]).toBe(0);
  expect(at(0.25)[2]).toBeGreaterThan(250);
  expect(at(0.25)[0]).toBe(0);
  expect(at(0.25)[3]).toBe(255);
  expect(at(0.55)[1]).toBeGreaterThan(250);
  expect(at(0.85)[0]).toBeGreaterThan(250);
  expect(at(0.85)[1]).toBeGreaterThan(250);
  expect(at(1)).toEqual([255, 0, 0, 255]);
  expect(at(0.125)[3]).toBeGreaterThan(120);
  expect(at(0.125)[3]).toBeLessThan(135);
});

test('colorize maps density to colour with the opacity cap, leaves empty pixels alone', () => {
  const t = lut(CLASSIC);
  const px = new Uint8ClampedArray([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 64]);
  colorize(px, t, 0.8);
  expect(Array.from(px.slice(0, 4))).toEqual([0, 0, 0, 0]);
  expect(Array.from(px.slice(4, 8))).toEqual([255, 0, 0, 204]);
  expect(px[10]).toBeGreaterThan(250); // blue at .25
  expect(px[11]).toBe(204);
});

test('tiles CSV', () => {
  expect(tilesCsv([{ i: 1, j: 2, count: 3 }])).toBe('i,j,count\n1,2,3\n');
});

test('the legend says when there is nothing of that kind (not "0 … 1 dead click")', async () => {
  const { legendTop } = await import('../src/components/heat-overlay');
  expect(legendTop(0, 'log', 'dead')).toBe('no dead clicks here');
  expect(legendTop(0, 'p99', 'rage')).toBe('no rage clicks here');
  expect(legendTop(1, 'log', 'dead')).toBe('1 dead click · log');
  expect(legendTop(10, 'log', 'clicks')).toBe('10 clicks · log');
});

test('element grid cells become spots inside the element box, wherever the layout puts it', () => {
  const doc = { w: 1000, h: 2000 };
  // a 160×40 button at (100, 500); cell 0 is its top-left 10×2.5 px, cell 16·2+15 = 47 the right end of row 2
  const spots = spotsInBox([[0, 3], [47, 5]], { x: 100, y: 500, w: 160, h: 40 }, doc, 16);
  expect(spots[0]!.u * doc.w).toBeCloseTo(105);
  expect(spots[0]!.v * doc.h).toBeCloseTo(501.25);
  expect(spots[1]!.u * doc.w).toBeCloseTo(255);
  expect(spots[1]!.v * doc.h).toBeCloseTo(506.25);
  // the spread is the cell's: 10 px wide → sd 10/√12
  expect(spots[0]!.su * doc.w).toBeCloseTo(10 / Math.sqrt(12));
  // the kernel sits on the cell, not on a 64×64 document tile
  const k = kernelOf(spots[1]!, { width: 1000, height: 2000, radius: 20 });
  expect(k.cx).toBeCloseTo(255);
  expect(k.cy).toBeCloseTo(506.25);
  expect(k.sy).toBeCloseTo(Math.sqrt(100 + 2.5 * 2.5 / 12));
  // counts under a point: only the cell's own box
  expect(countAt(spots, 255 / 1000, 506 / 2000)).toBe(5);
  expect(countAt(spots, 104 / 1000, 501 / 2000)).toBe(3);
  expect(countAt(spots, 180 / 1000, 520 / 2000)).toBe(0);
  // a pointer 4 px off a 2.5 px tall cell finds it with a 6 px minimum half-size
  expect(countAt(spots, 255 / 1000, 510 / 2000)).toBe(0);
  expect(countAt(spots, 255 / 1000, 510 / 2000, 6 / 1000, 6 / 2000)).toBe(5);
  // the same cells on the phone layout's box land on the phone's button
  const phone = spotsInBox([[47, 5]], { x: 20, y: 900, w: 350, h: 48 }, { w: 390, h: 3000 }, 16);
  expect(phone[0]!.u * 390).toBeCloseTo(20 + 15.5 * (350 / 16));
  expect(phone[0]!.v * 3000).toBeCloseTo(900 + 2.5 * 3);
});
