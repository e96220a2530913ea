// The overview graph (uPlot): the selected metric per day (per UTC hour for a single day), a 3 px
// line over a fading fill, the unfinished day or hour dashed and the hours still to come empty, the previous period as a faint line, and a tooltip with the value, unit
// and date.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { SeriesDay } from '../api/types';
import { html } from '../html';
import { dayMs } from '../lib/dates';
import { day } from '../lib/format';
import type { MetricDef } from './metric-tiles';

const LINE = 'rgb(79, 70, 229)';

const HOUR = 3600;
/** "13:00" of an hour's start (unix s). */
const clock = (t: number) => new Date(t * 1000).toISOString().slice(11, 16);
/** When an entry starts (unix s): its hour, else its day. */
const startOf = (d: SeriesDay) => (d.hour ? Date.parse(d.hour) / 1000 : dayMs(d.date) / 1000);
/** "7 Dec 2026, 13:00–14:00" or "7 Dec 2026". */
function when(d: SeriesDay): string {
  if (!d.hour) return day(d.date, true);
  const t = startOf(d);
  return `${day(d.hour.slice(0, 10), true)}, ${clock(t)}–${clock(t + HOUR)}`;
}

export function Chart(props: { series: SeriesDay[]; prev?: SeriesDay[]; metric: MetricDef; today: string; now: number; dim?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { series, prev, metric, today } = props;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const hourly = series[0]?.hour !== undefined;
    const step = hourly ? HOUR : 86400;
    const nowS = props.now / 1000;
    const xs = series.map(startOf);
    // entries still to come (later hours of today) have no value yet; the running one is "so far"
    const ys = series.map((d, i) => (xs[i]! > nowS ? null : (metric.value(d) ?? null)));
    const running = xs.findIndex((x) => x <= nowS && nowS < x + step);
    const lastDone = running >= 0 ? running - 1 : series.length - 1;
    const solid = ys.map((v, i) => (i <= lastDone ? v : null));
    const dashed = ys.map((v, i) => (running >= 0 && (i === running || i === lastDone) ? v : null));
    const cmp = prev ? series.map((_, i) => (prev[i] ? (metric.value(prev[i]!) ?? null) : null)) : undefined;
    const data: uPlot.AlignedData = cmp ? [xs, solid, dashed, cmp] : [xs, solid, dashed];
    const fill = (u: uPlot) => {
      const g = u.ctx.createLinearGradient(0, u.bbox.top, 0, u.bbox.top + u.bbox.height);
      g.addColorStop(0, 'rgba(101, 116, 205, 0.2)');
      g.addColorStop(1, 'rgba(101, 116, 205, 0)');
      return g;
    };
    const opts: uPlot.Options = {
      width: el.clientWidth,
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { show: false },
      cursor: { y: false, points: { size: 8 }, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        {
          stroke: '#4b5563',
          grid: { show: false },
          ticks: { show: false },
          font: '12px system-ui, sans-serif',
          // whole days only (uPlot would otherwise tick every few hours on short ranges); hours for one day
          incrs: hourly ? [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR] : [86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400, 182 * 86400],
          space: hourly ? 44 : 56,
          values: (_u, vals) => vals.map((v) => (hourly ? clock(v) : day(new Date(v * 1000).toISOString().slice(0, 10)))),
        },
        {
          stroke: '#4b5563',
          grid: { stroke: '#eef0f4', width: 1 },
          ticks: { show: false },
          font: '12px system-ui, sans-serif',
          size: 56,
          incrs: metric.integer ? [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7] : undefined,
          values: (_u, vals) => vals.map((v) => metric.fmt(v)),
        },
      ],
      series: [
        {},
        { label: metric.label, stroke: LINE, width: 3, fill, points: { show: series.length === 1 } },
        { label: metric.label + ' (so far)', stroke: LINE, width: 3, dash: [3, 3], points: { show: false } },
        ...(cmp ? [{ label: 'Previous period', stroke: 'rgba(60, 70, 110, 0.35)', width: 2, points: { show: false } }] : []),
      ],
      hooks: {
        setCursor: [
          (u) => {
            const t = tip.current;
            const i = u.cursor.idx;
            if (!t) return;
            if (i === null || i === undefined || !series[i]) {
              t.hidden = true;
              return;
            }
            const v = ys[i];
            const pv = cmp?.[i];
            t.textContent = '';
            const d = document.createElement('div');
            d.className = 'tip-date';
            d.textContent = when(series[i]!) + (i === running ? ' (so far)' : '');
            const val = document.createElement('div');
            val.className = 'tip-value';
            val.textContent = `${v === null || v === undefined ? '–' : metric.exact(v)} ${metric.unit}`;
            t.append(d, val);
            if (pv !== undefined && prev?.[i]) {
              const p = document.createElement('div');
              p.className = 'tip-prev';
              p.textContent = `vs. ${pv === null ? '–' : metric.exact(pv)} on ${when(prev[i]!)}`;
              t.append(p);
            }
            t.hidden = false;
            const left = u.valToPos(xs[i]!, 'x');
            const flip = left > u.bbox.width / devicePixelRatio - 180;
            t.style.left = `${left + (flip ? -12 : 12) + u.over.offsetLeft}px`;
            t.style.transform = flip ? 'translateX(-100%)' : '';
            t.style.top = '8px';
          },
        ],
      },
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: 260 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [series, prev, metric.id, today, Math.floor(props.now / 60000)]);

  const unit = series[0]?.hour !== undefined ? 'hour' : 'day';
  return html`<div class=${'chart-wrap' + (props.dim ? ' dim' : '')} data-unit=${unit} data-points=${series.length}>
    <div class="chart" ref=${box} role="img" aria-label=${`${metric.label} per ${unit}`}></div>
    <div class="chart-tip" ref=${tip} hidden></div>
  </div>`;
}
