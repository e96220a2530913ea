// Date ranges: the period presets of the date picker (Plausible's letters), custom ranges, shifting
// with ◀ ▶, and the previous period for comparison. Days are UTC calendar days, as the API counts
// them. Pure functions; `now` is passed in so tests are deterministic.

export type Period = 'today' | 'yesterday' | '7d' | '28d' | '30d' | 'month' | 'year' | 'all' | 'custom';

export interface DayRange {
  from: string; // YYYY-MM-DD, inclusive
  to: string; // YYYY-MM-DD, inclusive
}

export const PERIODS: Array<{ id: Exclude<Period, 'custom'>; label: string; key: string }> = [
  { id: 'today', label: 'Today', key: 'd' },
  { id: 'yesterday', label: 'Yesterday', key: 'e' },
  { id: '7d', label: 'Last 7 days', key: 'w' },
  { id: '28d', label: 'Last 28 days', key: 'f' },
  { id: '30d', label: 'Last 30 days', key: 't' },
  { id: 'month', label: 'Month to date', key: 'm' },
  { id: 'year', label: 'Year to date', key: 'y' },
  { id: 'all', label: 'All time', key: 'a' },
];

/** The API accepts at most 400 days. */
export const MAX_DAYS = 400;
const DAY_MS = 86400000;

export function isDay(s: string | null | undefined): s is string {
  if (!s || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = Date.parse(s + 'T00:00:00Z');
  return Number.isFinite(t) && toDay(t) === s;
}

export function toDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function dayMs(d: string): number {
  return Date.parse(d + 'T00:00:00Z');
}

export function addDays(d: string, n: number): string {
  return toDay(dayMs(d) + n * DAY_MS);
}

/** Number of days in an inclusive range. */
export function length(r: DayRange): number {
  return Math.round((dayMs(r.to) - dayMs(r.from)) / DAY_MS) + 1;
}

/**
 * The days a period covers. `earliest` (a project's creation day) bounds "all time", which is also
 * capped at the API's 400 days.
 */
export function rangeOf(period: Period, now: number, custom?: Partial<DayRange>, earliest?: string): DayRange {
  const today = toDay(now);
  switch (period) {
    case 'today':
      return { from: today, to: today };
    case 'yesterday': {
      const y = addDays(today, -1);
      return { from: y, to: y };
    }
    case '7d':
      return { from: addDays(today, -6), to: today };
    case '28d':
      return { from: addDays(today, -27), to: today };
    case '30d':
      return { from: addDays(today, -29), to: today };
    case 'month':
      return { from: today.slice(0, 8) + '01', to: today };
    case 'year':
      return { from: today.slice(0, 5) + '01-01', to: today };
    case 'all': {
      const cap = addDays(today, -(MAX_DAYS - 1));
      const from = earliest && isDay(earliest) && earliest > cap ? (earliest > today ? today : earliest) : cap;
      return { from, to: today };
    }
    case 'custom': {
      let from = isDay(custom?.from) ? custom!.from! : addDays(today, -6);
      let to = isDay(custom?.to) ? custom!.to! : today;
      if (from > to) [from, to] = [to, from];
      if (length({ from, to }) > MAX_DAYS) from = addDays(to, -(MAX_DAYS - 1));
      return { from, to };
    }
  }
}

/** Whether a range can move forward (it may not end after today). */
export function canShift(r: DayRange, dir: -1 | 1, now: number): boolean {
  return dir < 0 || r.to < toDay(now);
}

/**
 * ◀ ▶: the range of the same length before or after. Whole calendar months stay whole months; the
 * result never ends after today (a forward shift into the future is clipped).
 */
export function shift(r: DayRange, dir: -1 | 1, now: number): DayRange {
  const today = toDay(now);
  const isMonth = r.from.endsWith('-01') && r.from.slice(0, 7) === r.to.slice(0, 7) && (addDays(r.to, 1).endsWith('-01') || r.to === today);
  let out: DayRange;
  if (isMonth) {
    const [y, m] = r.from.split('-').map(Number) as [number, number];
    const first = new Date(Date.UTC(y, m - 1 + dir, 1));
    const last = new Date(Date.UTC(y, m + dir, 0));
    out = { from: toDay(first.getTime()), to: toDay(last.getTime()) };
  } else {
    const n = length(r);
    out = { from: addDays(r.from, dir * n), to: addDays(r.to, dir * n) };
  }
  if (out.to > today) out.to = today;
  if (out.from > today) out.from = today;
  return out;
}

/** The comparison range: the same number of days just before. */
export function previous(r: DayRange): DayRange {
  const n = length(r);
  return { from: addDays(r.from, -n), to: addDays(r.from, -1) };
}

/** The label of the picker button: the preset's name, or the dates of a custom range. */
export function periodLabel(period: Period, r: DayRange, fmt: (from: string, to: string) => string): string {
  const p = PERIODS.find((x) => x.id === period);
  return p ? p.label : fmt(r.from, r.to);
}
