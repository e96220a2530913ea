// Number, percentage, duration and date formatting: short values in tiles ("1.2k"), exact values
// in tooltips ("1,234"), rates to one decimal, durations "3m 05s" (UX.md §2). Pure functions.

const exactFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Exact integer with thousands separators: 1234 → "1,234". */
export function exact(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return exactFmt.format(Math.round(n));
}

/**
 * Short form for tiles and badges: 999 → "999", 1234 → "1.2k", 12345 → "12k", 1.5e6 → "1.5M".
 * One decimal below 10 of a unit, none above; never rounds up into a wrong unit (999,950 → "1M").
 */
export function short(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const sign = n < 0 ? '-' : '';
  let a = Math.abs(n);
  if (a < 1000) return sign + String(Math.round(a));
  const units = ['k', 'M', 'B', 'T'];
  let u = -1;
  while (a >= 1000 && u < units.length - 1) {
    a /= 1000;
    u++;
  }
  let s = a < 10 ? (Math.floor(a * 10) / 10).toFixed(1) : String(Math.floor(a));
  if (s.endsWith('.0')) s = s.slice(0, -2);
  if (s === '1000' && u < units.length - 1) {
    s = '1';
    u++;
  }
  return sign + s + units[u];
}

/** A share 0..1 as a percentage with one decimal: 0.4236 → "42.4%". */
export function percent(share: number, digits = 1): string {
  if (!Number.isFinite(share)) return '–';
  return (share * 100).toFixed(digits) + '%';
}

/** Milliseconds as "3m 05s", "45s", "1h 02m", "0s". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Relative change between two values, or undefined when there is no base. */
export function change(cur: number, prev: number): number | undefined {
  if (!Number.isFinite(cur) || !Number.isFinite(prev) || prev === 0) return undefined;
  return (cur - prev) / prev;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2024-08-15" → "15 Aug" (or "15 Aug 2024" with the year). Dates are UTC calendar days. */
export function day(iso: string, withYear = false): string {
  const [y, m, d] = iso.split('-');
  const name = MONTHS[Number(m) - 1] ?? '?';
  return `${Number(d)} ${name}${withYear ? ' ' + y : ''}`;
}

/** A date range "1 Aug – 7 Aug 2024", collapsing equal days. */
export function range(from: string, to: string): string {
  if (from === to) return day(from, true);
  const sameYear = from.slice(0, 4) === to.slice(0, 4);
  return `${day(from, !sameYear)} – ${day(to, true)}`;
}

/** Seconds ago, for "Last updated 4s ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  return `${Math.floor(m / 60)}h ago`;
}
