import { expect, test } from 'vitest';
import { ago, change, day, duration, exact, percent, range, short } from '../src/lib/format';

test('short numbers for tiles', () => {
  expect(short(0)).toBe('0');
  expect(short(999)).toBe('999');
  expect(short(1000)).toBe('1k');
  expect(short(1234)).toBe('1.2k');
  expect(short(1299)).toBe('1.2k'); // never rounds up past what was counted
  expect(short(12345)).toBe('12k');
  expect(short(999_950)).toBe('999k');
  expect(short(1_500_000)).toBe('1.5M');
  expect(short(-2500)).toBe('-2.5k');
  expect(short(NaN)).toBe('–');
});

test('exact numbers for tooltips', () => {
  expect(exact(1234)).toBe('1,234');
  expect(exact(1234567)).toBe('1,234,567');
  expect(exact(12.6)).toBe('13');
});

test('rates to one decimal, durations as 3m 05s', () => {
  expect(percent(0.4236)).toBe('42.4%');
  expect(percent(1)).toBe('100.0%');
  expect(duration(185000)).toBe('3m 05s');
  expect(duration(45_000)).toBe('45s');
  expect(duration(0)).toBe('0s');
  expect(duration(3_720_000)).toBe('1h 02m');
  expect(duration(-1)).toBe('–');
});

test('changes, days, ranges, ago', () => {
  expect(change(110, 100)).toBeCloseTo(0.1);
  expect(change(5, 0)).toBeUndefined();
  expect(day('2024-08-05')).toBe('5 Aug');
  expect(range('2024-08-01', '2024-08-07')).toBe('1 Aug – 7 Aug 2024');
  expect(range('2023-12-30', '2024-01-02')).toBe('30 Dec 2023 – 2 Jan 2024');
  expect(range('2024-08-01', '2024-08-01')).toBe('1 Aug 2024');
  expect(ago(4200)).toBe('4s ago');
  expect(ago(125_000)).toBe('2m ago');
});
