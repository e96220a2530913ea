// The funnel's numbers as the results show them, from the units per step the API returns: the
// conversion from the previous and from the first step, the units that dropped between them, and
// the bar heights. Computed from the counts (not the API's rounded ratios) so a percentage on
// screen is exactly units / units. Pure functions.
import { toCsv } from './csv';
import { duration } from './format';

export interface StepNumbers {
  name?: string;
  units: number;
  median_ms_from_previous?: number;
  p90_ms_from_previous?: number;
  avg_ms_from_previous?: number;
}

export interface StepRow {
  /** 1-based */
  n: number;
  name: string;
  units: number;
  /** share of the previous step's units that reached this one (step 1: 1 when anyone entered) */
  fromPrev: number;
  /** share of step 1's units */
  fromFirst: number;
  /** units that reached the previous step and not this one (step 1: 0) */
  dropped: number;
  /** units that reached this step and not the next (last step: 0) */
  droppedNext: number;
  medianMs: number;
  /** nearest-rank 90th percentile of the times from the previous step */
  p90Ms: number;
  avgMs: number;
  /** bar height, 0..1 of the tallest (step 1) */
  bar: number;
  /** the previous step's bar, drawn as a ghost behind this one */
  ghost: number;
}

function share(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

export function stepRows(steps: StepNumbers[], names: string[] = []): StepRow[] {
  const first = steps[0]?.units ?? 0;
  return steps.map((s, i) => {
    const prev = i === 0 ? first : steps[i - 1]!.units;
    const next = steps[i + 1]?.units;
    return {
      n: i + 1,
      name: s.name ?? names[i] ?? `Step ${i + 1}`,
      units: s.units,
      fromPrev: share(s.units, prev),
      fromFirst: share(s.units, first),
      dropped: i === 0 ? 0 : Math.max(0, prev - s.units),
      droppedNext: next === undefined ? 0 : Math.max(0, s.units - next),
      medianMs: i === 0 ? 0 : (s.median_ms_from_previous ?? 0),
      p90Ms: i === 0 ? 0 : (s.p90_ms_from_previous ?? 0),
      avgMs: i === 0 ? 0 : (s.avg_ms_from_previous ?? 0),
      bar: share(s.units, first),
      ghost: i === 0 ? 0 : share(prev, first),
    };
  });
}

/** The share of step 1's units that reached the last step. */
export function overall(steps: StepNumbers[]): number {
  return steps.length ? share(steps[steps.length - 1]!.units, steps[0]!.units) : 0;
}

export interface BreakdownRowIn {
  value: string;
  steps: StepNumbers[];
}

/** Breakdown rows with their step rows and overall conversion, most units first (as the API). */
export function breakdownRows(rows: BreakdownRowIn[]): Array<{ value: string; steps: StepRow[]; overall: number }> {
  return rows.map((r) => ({ value: r.value, steps: stepRows(r.steps), overall: overall(r.steps) }));
}

const pct = (x: number) => (x * 100).toFixed(1);

/**
 * The results as CSV: a row per step (the funnel as a whole, value "all"), then a row per
 * breakdown value and step. Rates are percentages with one decimal, as on screen.
 */
export function funnelCsv(steps: StepNumbers[], names: string[], dimension: string, rows: BreakdownRowIn[]): string {
  const header = [dimension || 'breakdown', 'step', 'name', 'units', 'from previous %', 'from first %', 'dropped', 'median ms', 'p90 ms', 'average ms'];
  const out: unknown[][] = [];
  const add = (value: string, rs: StepRow[]) => {
    for (const r of rs) out.push([value, r.n, names[r.n - 1] ?? r.name, r.units, pct(r.fromPrev), pct(r.fromFirst), r.dropped, r.medianMs, r.p90Ms, r.avgMs]);
  };
  add('all', stepRows(steps, names));
  for (const r of rows) add(r.value === '' ? '(none)' : r.value, stepRows(r.steps, names));
  return toCsv(header, out);
}

/** A step time: "350 ms" and "2.5s" below 10 s (journeys between steps are often that quick), else "3m 05s". */
export function stepTime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  return duration(ms);
}

export interface ConvertBucketIn {
  from_ms: number;
  /** null: the last bucket, without an upper bound */
  to_ms: number | null;
  units: number;
}

function span(ms: number): string {
  if (ms < 60000) return `${ms / 1000} s`;
  if (ms < 3600000) return `${ms / 60000} min`;
  if (ms < 86400000) return `${ms / 3600000} h`;
  return `${ms / 86400000} d`;
}

/** The time-to-convert buckets as labelled bars: "< 10 s", "10 s–30 s", …, "≥ 7 d"; bar 0..1 of the largest. */
export function convertBars(buckets: ConvertBucketIn[]): Array<{ label: string; units: number; share: number; bar: number }> {
  const total = buckets.reduce((n, b) => n + b.units, 0);
  const most = buckets.reduce((n, b) => Math.max(n, b.units), 0);
  return buckets.map((b) => ({
    label: b.from_ms === 0 && b.to_ms !== null ? `< ${span(b.to_ms)}` : b.to_ms === null ? `≥ ${span(b.from_ms)}` : `${span(b.from_ms)}–${span(b.to_ms)}`,
    units: b.units,
    share: share(b.units, total),
    bar: share(b.units, most),
  }));
}

export interface TrendDayIn {
  date: string;
  entered: number;
  converted: number;
}

/** The per-day trend as bars of conversion (0..1 of the best day); days nobody entered have no bar. */
export function trendBars(days: TrendDayIn[]): Array<TrendDayIn & { conversion: number; bar: number }> {
  const rates = days.map((d) => share(d.converted, d.entered));
  const best = Math.max(0, ...rates);
  return days.map((d, i) => ({ ...d, conversion: rates[i]!, bar: share(rates[i]!, best) }));
}
