import { expect, test } from 'vitest';
import { canShift, isDay, length, previous, rangeOf, shift } from '../src/lib/dates';

const NOW = Date.parse('2024-08-15T13:00:00Z');

test('presets cover the right UTC days', () => {
  expect(rangeOf('today', NOW)).toEqual({ from: '2024-08-15', to: '2024-08-15' });
  expect(rangeOf('yesterday', NOW)).toEqual({ from: '2024-08-14', to: '2024-08-14' });
  expect(rangeOf('7d', NOW)).toEqual({ from: '2024-08-09', to: '2024-08-15' });
  expect(rangeOf('28d', NOW)).toEqual({ from: '2024-07-19', to: '2024-08-15' });
  expect(rangeOf('month', NOW)).toEqual({ from: '2024-08-01', to: '2024-08-15' });
  expect(rangeOf('year', NOW)).toEqual({ from: '2024-01-01', to: '2024-08-15' });
});

test('all time starts at the project, at most 400 days back', () => {
  expect(rangeOf('all', NOW, undefined, '2024-06-01')).toEqual({ from: '2024-06-01', to: '2024-08-15' });
  const r = rangeOf('all', NOW, undefined, '2020-01-01');
  expect(length(r)).toBe(400);
});

test('custom ranges are validated, ordered and capped', () => {
  expect(rangeOf('custom', NOW, { from: '2024-08-10', to: '2024-08-01' })).toEqual({ from: '2024-08-01', to: '2024-08-10' });
  expect(rangeOf('custom', NOW, { from: '2024-02-30', to: 'x' })).toEqual({ from: '2024-08-09', to: '2024-08-15' });
  expect(length(rangeOf('custom', NOW, { from: '2020-01-01', to: '2024-08-15' }))).toBe(400);
  expect(isDay('2024-02-29')).toBe(true);
  expect(isDay('2023-02-29')).toBe(false);
});

test('shifting keeps the length, whole months stay months, never past today', () => {
  expect(shift({ from: '2024-08-09', to: '2024-08-15' }, -1, NOW)).toEqual({ from: '2024-08-02', to: '2024-08-08' });
  expect(shift({ from: '2024-08-02', to: '2024-08-08' }, 1, NOW)).toEqual({ from: '2024-08-09', to: '2024-08-15' });
  expect(shift({ from: '2024-08-01', to: '2024-08-15' }, -1, NOW)).toEqual({ from: '2024-07-01', to: '2024-07-31' });
  expect(shift({ from: '2024-02-01', to: '2024-02-29' }, 1, NOW)).toEqual({ from: '2024-03-01', to: '2024-03-31' });
  expect(shift({ from: '2024-08-10', to: '2024-08-14' }, 1, NOW)).toEqual({ from: '2024-08-15', to: '2024-08-15' });
  expect(canShift({ from: '2024-08-09', to: '2024-08-15' }, 1, NOW)).toBe(false);
  expect(canShift({ from: '2024-08-09', to: '2024-08-15' }, -1, NOW)).toBe(true);
});

test('the comparison period is the same length just before', () => {
  expect(previous({ from: '2024-08-09', to: '2024-08-15' })).toEqual({ from: '2024-08-02', to: '2024-08-08' });
  expect(previous({ from: '2024-03-01', to: '2024-03-01' })).toEqual({ from: '2024-02-29', to: '2024-02-29' });
});
