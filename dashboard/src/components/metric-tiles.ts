// The metric tiles at the top of the overview: a short value ("1.2k") with the exact value in the
// tooltip, the change against the previous period (arrow and sign, never colour alone; colours
// flipped where lower is better), and the selected tile drives the graph.
import type { Totals } from '../api/types';
import { html } from '../html';
import { change, duration, exact, percent, short } from '../lib/format';
import type { Metric } from '../lib/url-state';

export interface MetricDef {
  id: Metric;
  label: string;
  lowerIsBetter?: boolean;
  value(t: Totals): number | undefined;
  fmt(n: number): string;
  exact(n: number): string;
  unit: string;
  /** Counts: the graph's axis ticks are whole numbers. */
  integer?: boolean;
}

export const METRIC_DEFS: MetricDef[] = [
  { id: 'visitors', label: 'Unique visitors', value: (t) => t.visitors, fmt: short, exact, unit: 'visitors', integer: true },
  { id: 'sessions', label: 'Sessions', value: (t) => t.sessions, fmt: short, exact, unit: 'sessions', integer: true },
  { id: 'pageviews', label: 'Pageviews', value: (t) => t.pageviews, fmt: short, exact, unit: 'pageviews', integer: true },
  {
    id: 'views_per_session',
    label: 'Views per session',
    value: (t) => t.views_per_session ?? (t.sessions > 0 ? t.pageviews / t.sessions : undefined),
    fmt: (n) => n.toFixed(1),
    exact: (n) => n.toFixed(2),
    unit: 'views per session',
  },
  { id: 'bounce_rate', label: 'Bounce rate', lowerIsBetter: true, value: (t) => t.bounce_rate, fmt: (n) => percent(n), exact: (n) => percent(n, 2), unit: 'bounce rate' },
  { id: 'avg_session_ms', label: 'Session duration', value: (t) => t.avg_session_ms, fmt: duration, exact: duration, unit: 'average session' },
];

export function metricDef(id: Metric): MetricDef {
  return METRIC_DEFS.find((m) => m.id === id) ?? METRIC_DEFS[0]!;
}

function Change(props: { cur: number; prev: number; lowerIsBetter?: boolean }) {
  const c = change(props.cur, props.prev);
  if (c === undefined) return html`<span class="change neutral" title="No data in the previous period">—</span>`;
  const up = c > 0;
  const good = c === 0 ? 'neutral' : up !== !!props.lowerIsBetter ? 'good' : 'bad';
  return html`<span class=${'change ' + good}><span aria-hidden="true">${c === 0 ? '→' : up ? '↑' : '↓'}</span>
    ${up ? '+' : c < 0 ? '−' : ''}${Math.abs(c * 100).toFixed(c !== 0 && Math.abs(c) < 0.1 ? 1 : 0)}%</span>`;
}

export function MetricTiles(props: { totals?: Totals; prev?: Totals; selected: Metric; onSelect(m: Metric): void; loading: boolean; rangeLabel: string }) {
  return html`<div class="tiles" role="tablist" aria-label="Metrics">
    ${METRIC_DEFS.map((m) => {
      const v = props.totals ? m.value(props.totals) : undefined;
      const pv = props.prev ? m.value(props.prev) : undefined;
      const sel = props.selected === m.id;
      const tip =
        v === undefined ? `${m.label}: not available` : `${m.exact(v)} ${m.unit}${pv !== undefined ? ` vs. ${m.exact(pv)}` : ''} · ${props.rangeLabel}`;
      return html`<button type="button" role="tab" aria-selected=${sel} class=${'tile' + (sel ? ' selected' : '')} title=${tip} data-metric=${m.id}
        onClick=${() => props.onSelect(m.id)}>
        <span class="tile-label">${m.label}</span>
        ${props.totals
          ? html`<span class="tile-value">${v === undefined ? '–' : m.fmt(v)}</span>`
          : html`<span class="tile-value"><span class="skeleton" style="display:inline-block;width:4em;height:1em"></span></span>`}
        ${props.prev && v !== undefined && pv !== undefined ? html`<${Change} cur=${v} prev=${pv} lowerIsBetter=${m.lowerIsBetter} />` : html`<span class="change-spacer"></span>`}
      </button>`;
    })}
  </div>`;
}
