import fc from 'fast-check';
import { expect, test } from 'vitest';
import { breakdownRows, convertBars, funnelCsv, overall, stepRows, stepTime, trendBars } from '../src/lib/funnel-math';

const steps = [
  { name: '/', units: 200 },
  { name: '/pricing', units: 50, median_ms_from_previous: 20000, p90_ms_from_previous: 90000, avg_ms_from_previous: 30000 },
  { name: 'signup', units: 10, median_ms_from_previous: 60000, p90_ms_from_previous: 65000, avg_ms_from_previous: 61000 },
];

test('conversion from the previous and the first step, drop-off, bars', () => {
  const rows = stepRows(steps);
  expect(rows.map((r) => [r.n, r.units, r.fromPrev, r.fromFirst, r.dropped, r.droppedNext])).toEqual([
    [1, 200, 1, 1, 0, 150],
    [2, 50, 0.25, 0.25, 150, 40],
    [3, 10, 0.2, 0.05, 40, 0],
  ]);
  expect(rows.map((r) => [r.bar, r.ghost])).toEqual([[1, 0], [0.25, 1], [0.05, 0.25]]);
  expect(rows[1]!.medianMs).toBe(20000);
  expect(rows.map((r) => r.p90Ms)).toEqual([0, 90000, 65000]);
  expect(rows[2]!.avgMs).toBe(61000);
  expect(overall(steps)).toBe(0.05);
});

test('nobody entered: zeros, never NaN', () => {
  const rows = stepRows([{ units: 0 }, { units: 0 }]);
  for (const r of rows) for (const v of [r.fromPrev, r.fromFirst, r.bar, r.ghost]) expect(v).toBe(0);
  expect(overall([])).toBe(0);
  expect(rows[1]!.name).toBe('Step 2');
});

test('for any non-increasing counts, the shown numbers agree with each other and with the API', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(100000), { minLength: 2, maxLength: 20 }), (raw) => {
      const units = raw.slice().sort((a, b) => b - a);
      const rows = stepRows(units.map((u) => ({ units: u })));
      for (const r of rows) {
        expect(r.fromPrev).toBeGreaterThanOrEqual(0);
        expect(r.fromPrev).toBeLessThanOrEqual(1);
        expect(r.fromFirst).toBeLessThanOrEqual(r.n === 1 ? 1 : rows[r.n - 2]!.fromFirst);
        // the server's ratios are rounded to 6 decimals (api/funnel_json.cc)
        const api = units[0] ? Math.round((r.units / units[0]) * 1e6) / 1e6 : 0;
        expect(Math.abs(r.fromFirst - api)).toBeLessThan(1e-6);
      }
      // every unit that entered either converted or dropped at exactly one step
      const dropped = rows.reduce((a, r) => a + r.dropped, 0);
      expect(dropped + units[units.length - 1]!).toBe(units[0]);
      expect(overall(units.map((u) => ({ units: u })))).toBeCloseTo(rows[rows.length - 1]!.fromFirst, 12);
    }),
    { numRuns: 500 },
  );
});

test('breakdown rows keep the API order and compute their own conversions', () => {
  const rows = breakdownRows([
    { value: 'desktop', steps: [{ units: 150 }, { units: 50 }, { units: 10 }] },
    { value: '', steps: [{ units: 50 }, { units: 0 }, { units: 0 }] },
  ]);
  expect(rows.map((r) => [r.value, r.overall])).toEqual([['desktop', 10 / 150], ['', 0]]);
  expect(rows[1]!.steps[1]!.dropped).toBe(50);
});

test('CSV: the funnel then each breakdown value, rates as on screen, formulas defused', () => {
  const csv = funnelCsv(steps, ['/', '/pricing', '=HYPERLINK("x")'], 'device', [
    { value: 'desktop', steps: [{ units: 150 }, { units: 50, median_ms_from_previous: 1 }, { units: 10 }] },
    { value: '', steps: [{ units: 50 }, { units: 0 }, { units: 0 }] },
  ]);
  expect(csv.split('\n')).toEqual([
    'device,step,name,units,from previous %,from first %,dropped,median ms,p90 ms,average ms',
    'all,1,/,200,100.0,100.0,0,0,0,0',
    'all,2,/pricing,50,25.0,25.0,150,20000,90000,30000',
    `all,3,"'=HYPERLINK(""x"")",10,20.0,5.0,40,60000,65000,61000`,
    'desktop,1,/,150,100.0,100.0,0,0,0,0',
    'desktop,2,/pricing,50,33.3,33.3,100,1,0,0',
    `desktop,3,"'=HYPERLINK(""x"")",10,20.0,6.7,40,0,0,0`,
    '(none),1,/,50,100.0,100.0,0,0,0,0',
    '(none),2,/pricing,0,0.0,0.0,50,0,0,0',
    `(none),3,"'=HYPERLINK(""x"")",0,0.0,0.0,0,0,0,0`,
    '',
  ]);
});

test('step times keep sub-second precision below 10 s', () => {
  expect(stepTime(0)).toBe('0 ms');
  expect(stepTime(350)).toBe('350 ms');
  expect(stepTime(1500)).toBe('1.5s');
  expect(stepTime(9999)).toBe('9.9s');
  expect(stepTime(10000)).toBe('10s');
  expect(stepTime(65000)).toBe('1m 05s');
  expect(stepTime(-1)).toBe('–');
});

test('time-to-convert buckets: labels from the bounds, shares and bars', () => {
  const bounds = [0, 10000, 30000, 60000, 300000, 900000, 3600000, 21600000, 86400000, 604800000];
  const buckets = bounds.map((from, i) => ({ from_ms: from, to_ms: bounds[i + 1] ?? null, units: [4, 0, 0, 0, 0, 6, 0, 0, 0, 0][i]! }));
  const bars = convertBars(buckets);
  expect(bars.map((b) => b.label)).toEqual([
    '< 10 s', '10 s–30 s', '30 s–1 min', '1 min–5 min', '5 min–15 min', '15 min–1 h', '1 h–6 h', '6 h–1 d', '1 d–7 d', '≥ 7 d',
  ]);
  expect(bars[0]).toEqual({ label: '< 10 s', units: 4, share: 0.4, bar: 4 / 6 });
  expect(bars[5]!.bar).toBe(1);
  expect(convertBars(buckets.map((b) => ({ ...b, units: 0 }))).every((b) => b.share === 0 && b.bar === 0)).toBe(true);
});

test('trend: conversion per day, bars relative to the best day, no NaN for empty days', () => {
  const bars = trendBars([
    { date: '2024-12-01', entered: 10, converted: 5 },
    { date: '2024-12-02', entered: 0, converted: 0 },
    { date: '2024-12-03', entered: 4, converted: 1 },
  ]);
  expect(bars.map((d) => [d.conversion, d.bar])).toEqual([[0.5, 1], [0, 0], [0.25, 0.5]]);
  expect(trendBars([{ date: '2024-12-02', entered: 0, converted: 0 }])[0]!.bar).toBe(0);
});
