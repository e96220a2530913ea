// Overview (spec §7, UX.md "Overview"): metric tiles that drive the graph, the graph, live
// visitors, and the report lists (pages, sources, devices, countries), each exportable as CSV.
// With no data at all it becomes the install guide and watches for the first event.
import { get, scopeParams, type Scope } from '../api/client';
import type { Overview as OverviewData, Project } from '../api/types';
import { Chart } from '../components/chart';
import { FilterBar } from '../components/filters';
import { Link } from '../components/link';
import { ListCard } from '../components/list-card';
import { metricDef, MetricTiles } from '../components/metric-tiles';
import { PageHeader } from '../components/shell';
import { Snippet } from '../components/snippet';
import { ErrorPanel } from '../components/states';
import { useNow, useQuery } from '../hooks';
import { html } from '../html';
import { type DayRange, previous, rangeOf, toDay } from '../lib/dates';
import { ago, exact, range as fmtRange } from '../lib/format';
import type { AppState } from '../lib/url-state';
import { patch } from '../store';

function LivePill(props: { n?: number; at?: number; now: number }) {
  if (props.n === undefined) return null;
  return html`<span class="live" title="Distinct visitors with any event in the last 5 minutes">
    <span class=${'live-dot' + (props.n > 0 ? ' on' : '')} aria-hidden="true"></span>
    <strong>${exact(props.n)}</strong> ${props.n === 1 ? 'visitor' : 'visitors'} in the last 5 min
    ${props.at && html`<span class="muted"> · updated ${ago(props.now - props.at)}</span>`}
  </span>`;
}

export function InstallGuide(props: { s: AppState; project: Project; waiting: boolean; demo?: Project }) {
  const demo = props.demo;
  return html`<section class="card install" aria-labelledby="install-h">
    <h2 id="install-h">No data yet — here is your snippet</h2>
    <p>Add this to the <code>${'<head>'}</code> of every page of your site. Page views, clicks and scroll depth start arriving as soon as a visitor loads a page.</p>
    <${Snippet} project=${props.project} />
    <ol class="steps">
      <li>Allowed origins for <strong>${props.project.name}</strong>: ${props.project.allowed_origins.length
        ? props.project.allowed_origins.join(', ') + '.'
        : html`none yet, so any site may send events. Add yours in
            <${Link} to=${{ ...props.s, route: 'settings', tab: 'settings' }}>Settings → Settings<//>.`}</li>
      <li>Open your site in a browser. This page updates by itself within a second or two.</li>
    </ol>
    ${props.waiting && html`<p class="waiting" role="status"><span class="live-dot on" aria-hidden="true"></span>Waiting for the first event…</p>`}
    ${demo && html`<p class="demo-hint">No site at hand? Click around the <a href="/demo/" target="_blank"
      rel="noopener">demo site</a>: its visits go to the <${Link} to=${{ ...props.s, project: demo.id, path: '' }}
      >${demo.name}</${Link}> project, whose heatmaps show your clicks a few seconds later.</p>`}
  </section>`;
}

/** The share of page views scored as bots, for the filter bar. */
function botShare(d?: OverviewData): { pageviews: number; share: number } | undefined {
  if (!d?.bots) return undefined;
  // the bots' page views: left out of the totals (excluded) or counted in them (bots=include)
  const all = d.bots.excluded === false ? d.totals.pageviews : d.totals.pageviews + d.bots.pageviews;
  return { pageviews: d.bots.pageviews, share: all > 0 ? d.bots.pageviews / all : 0 };
}

export function OverviewPage(props: { s: AppState; project: Project; range: DayRange; now: number; demo?: Project }) {
  const { s, project, range } = props;
  const now = useNow(1000);
  const scope: Scope = { project: s.project, range, device: s.device, vw: s.vw, path: s.path, bots: s.bots };
  // a single day (Today, Yesterday, or one picked day) is drawn per hour
  const hourly = range.from === range.to;
  const params = { ...scopeParams(scope), limit: 10, ...(hourly ? { interval: 'hour' } : {}) };
  const today = toDay(props.now);
  const live = range.to >= today;
  const key = JSON.stringify(params);

  // Is there any data at all? Decides between the report and the install guide.
  const allRange = rangeOf('all', props.now, undefined, toDay(project.created_ms || props.now));
  const allParams = { project_id: s.project, from: allRange.from, to: allRange.to, limit: 1 };
  const any = useQuery<OverviewData>(JSON.stringify(allParams), (signal) => get<OverviewData>('/api/overview', allParams, signal), 0);
  const empty = any.data !== undefined && any.data.totals.pageviews === 0;
  const anyPoll = useQuery<OverviewData>(empty ? 'poll' + JSON.stringify(allParams) : null, (signal) => get<OverviewData>('/api/overview', allParams, signal), 1000);
  const becameLive = anyPoll.data !== undefined && anyPoll.data.totals.pageviews > 0;

  const q = useQuery<OverviewData>(key + (becameLive ? '#1' : ''), (signal) => get<OverviewData>('/api/overview', params, signal), live ? 10000 : 0);
  const prevRange = previous(range);
  const prevParams = { ...params, from: prevRange.from, to: prevRange.to };
  const pq = useQuery<OverviewData>(s.compare ? JSON.stringify(prevParams) : null, (signal) => get<OverviewData>('/api/overview', prevParams, signal));
  const metric = metricDef(s.metric);
  const rangeLabel = fmtRange(range.from, range.to) + ' (UTC)';
  const d = q.data;
  const showInstall = empty && !becameLive;
  const poll = live ? 30000 : 0;
  // The lists follow the tiles: when a tile refresh brings new numbers, they fetch again too.
  const version = d ? `${d.totals.pageviews}:${d.totals.sessions}:${d.totals.visitors}` : undefined;

  return html`<div class="page overview-page">
    <${PageHeader} title="Overview" sub=${html`<${LivePill} n=${d?.live_visitors} at=${q.at} now=${now} />`}>
      <${FilterBar} s=${s} range=${range} now=${props.now} compare=${true} bots=${botShare(d)} />
    </${PageHeader}>
    ${showInstall
      ? html`<${InstallGuide} s=${s} project=${project} waiting=${true} demo=${props.demo} />`
      : html`
      ${q.error && !d ? html`<div class="card"><${ErrorPanel} error=${q.error} retry=${q.reload} what="The overview" /></div>` : null}
      ${(!q.error || d) &&
      html`<section class="card graph-card" aria-label="Traffic">
        <${MetricTiles} totals=${d?.totals} prev=${s.compare ? pq.data?.totals : undefined} selected=${s.metric}
          onSelect=${(m: AppState['metric']) => patch({ metric: m }, { replace: true })} loading=${q.loading} rangeLabel=${rangeLabel} />
        ${d && d.totals.pageviews === 0 && html`<p class="note">No visits ${s.path || s.device || s.vw ? 'match these filters' : ''} in ${rangeLabel}. Try a longer range${s.path || s.device || s.vw ? ' or clear the filters (Esc)' : ''}.</p>`}
        ${d ? html`<${Chart} series=${d.series} prev=${s.compare ? pq.data?.series : undefined} metric=${metric} today=${today} now=${now} dim=${q.loading} />` : html`<div class="chart-skeleton skeleton"></div>`}
        <p class="legend-note muted small">${metric.label} per ${hourly ? 'hour (UTC)' : 'day'} · ${rangeLabel}${s.compare ? ' · faint line: previous period' : ''}${range.to === today ? (hourly ? ' · dashed: this hour so far' : ' · dashed: today so far') : ''}</p>
      </section>`}
      <div class="grid-2">
        <${ListCard} title="Pages" scope=${scope} range=${rangeLabel} poll=${poll} version=${version} tabs=${[
          { dim: 'page', label: 'Top pages', column: 'Page' },
          { dim: 'entry_page', label: 'Entry pages', column: 'Entry page' },
        ]} />
        <${ListCard} title="Sources" scope=${scope} range=${rangeLabel} poll=${poll} version=${version} tabs=${[
          { dim: 'referrer', label: 'Referrers', column: 'Referrer domain' },
          { dim: 'utm_source', label: 'UTM source', column: 'Source' },
          { dim: 'utm_medium', label: 'Medium', column: 'Medium' },
          { dim: 'utm_campaign', label: 'Campaign', column: 'Campaign' },
        ]} />
        <${ListCard} title="Devices" scope=${scope} range=${rangeLabel} poll=${poll} version=${version} tabs=${[
          { dim: 'device', label: 'Device', column: 'Device' },
          { dim: 'browser', label: 'Browser', column: 'Browser' },
          { dim: 'os', label: 'OS', column: 'Operating system' },
        ]} />
        <${ListCard} title="Countries" scope=${scope} range=${rangeLabel} poll=${poll} version=${version} tabs=${[{ dim: 'country', label: 'Countries', column: 'Country' }]} />
      </div>`}
  </div>`;
}
