import { expect, test } from 'vitest';
import { bandColor, foldPct, markers, pickFold, reachArray, reachAt, reachFromHistogram } from '../src/lib/scroll';

// 10 views: 2 stopped at 20 %, 3 at 45 %, 3 at 70 %, 2 at 100 %
const hist = [
  { depth_pct: 20, count: 2 },
  { depth_pct: 45, count: 3 },
  { depth_pct: 70, count: 3 },
  { depth_pct: 100, count: 2 },
];

test('reach: share of views that got at least that deep', () => {
  const r = reachFromHistogram(hist);
  expect(r).toHaveLength(101);
  expect(r[0]).toBe(100);
  expect(r[20]).toBe(100);
  expect(r[21]).toBe(80);
  expect(r[45]).toBe(80);
  expect(r[46]).toBe(50);
  expect(r[70]).toBe(50);
  expect(r[71]).toBe(20);
  expect(r[100]).toBe(20);
  expect(reachFromHistogram([])[0]).toBe(0);
});

test("the API's reach rows win; gaps are filled", () => {
  const api = [
    { depth_pct: 0, pct: 100 },
    { depth_pct: 50, pct: 40 },
    { depth_pct: 100, pct: 10 },
  ];
  const r = reachArray(api, []);
  expect(r[0]).toBe(100);
  expect(r[30]).toBe(40);
  expect(r[50]).toBe(40);
  expect(r[99]).toBe(10);
  expect(reachArray(undefined, hist)[50]).toBe(50);
});

test('reading the curve at any depth', () => {
  const r = reachFromHistogram(hist);
  expect(reachAt(r, 20.5)).toBeCloseTo(90);
  expect(reachAt(r, -5)).toBe(100);
  expect(reachAt(r, 500)).toBe(20);
});

test('markers at 100/75/50/25 %, only where the curve passes near the level', () => {
  const m = markers(reachFromHistogram(hist));
  expect(m.find((x) => x.level === 100)?.depth).toBe(20);
  expect(m.find((x) => x.level === 50)?.depth).toBe(70);
  expect(m.find((x) => x.level === 75)).toBeUndefined(); // jumps 80 → 50
  expect(m.find((x) => x.level === 25)).toBeUndefined(); // jumps 50 → 20
  const smooth = Array.from({ length: 101 }, (_, d) => 100 - d);
  expect(markers(smooth).map((x) => [x.level, x.depth])).toEqual([
    [100, 0],
    [75, 25],
    [50, 50],
    [25, 75],
  ]);
  expect(markers(new Array(101).fill(0))).toEqual([]);
});

test('band colours and the fold', () => {
  expect(bandColor(100)).toBe('hsla(0, 100%, 50%, 0.6)');
  expect(bandColor(0)).toBe('hsla(240, 100%, 50%, 0.6)');
  expect(bandColor(50)).toBe('hsla(120, 100%, 50%, 0.6)');
  expect(foldPct(900, 3600)).toBe(25);
  expect(foldPct(900, 0)).toBeUndefined();
});

test('the average fold of the views wins over the rendered screen', () => {
  expect(pickFold(720, 900, 3600)).toEqual({ pct: 20, px: 720, average: true });
  expect(pickFold(null, 900, 3600)).toEqual({ pct: 25, px: 900, average: false });
  expect(pickFold(undefined, 900, 3600)).toEqual({ pct: 25, px: 900, average: false });
  expect(pickFold(0, 900, 3600)).toEqual({ pct: 25, px: 900, average: false });
  expect(pickFold(5000, 900, 3600)).toEqual({ pct: 100, px: 5000, average: true });
  expect(pickFold(720, 900, 0)).toBeUndefined();
});
