// A report list (Plausible's `reports/list`): up to 9 rows of 32 px with a proportional bar, the
// value short with the exact count on hover, a row click that filters when the dimension is a
// filter, tabs for related dimensions, a CSV export of the full table, and reserved height so the
// grid does not jump while loading.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, scopeParams, type Scope, withQuery } from '../api/client';
import type { Breakdown, Dimension } from '../api/types';
import { useQuery } from '../hooks';
import { html } from '../html';
import { slug } from '../lib/csv';
import { exact, percent, short } from '../lib/format';
import type { AppState } from '../lib/url-state';
import { patch } from '../store';
import { DEVICE_LABEL } from './filters';
import { Icon } from './icons';
import { Empty, ErrorPanel, Skeleton } from './states';

export interface Tab {
  dim: Dimension;
  label: string;
  column: string;
}

let regionNames: Intl.DisplayNames | undefined;
function countryName(code: string): string {
  try {
    regionNames ??= new Intl.DisplayNames(['en'], { type: 'region' });
    return regionNames.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

export function rowLabel(dim: Dimension, value: string): string {
  if (value === '') {
    if (dim === 'referrer') return 'Direct / none';
    if (dim === 'country') return 'Unknown';
    return '(none)';
  }
  if (dim === 'country') return countryName(value);
  if (dim === 'device') return DEVICE_LABEL[value] ?? value;
  return value;
}

function filterFor(dim: Dimension, value: string): Partial<AppState> | undefined {
  if ((dim === 'page' || dim === 'entry_page') && value.startsWith('/')) return { path: value };
  if (dim === 'device' && ['desktop', 'mobile', 'tablet'].includes(value)) return { device: value as AppState['device'] };
  return undefined;
}

/**
 * `version`: changes when the Overview's tiles got new numbers; the list then fetches again in the
 * background, so a new page or source shows up with the tiles, not a poll later.
 */
export function ListCard(props: { title: string; tabs: Tab[]; scope: Scope; range: string; poll?: number; version?: string }) {
  const [tabId, setTab] = useState(props.tabs[0]!.dim);
  const tab = props.tabs.find((t) => t.dim === tabId) ?? props.tabs[0]!;
  const params = { ...scopeParams(props.scope), dimension: tab.dim, limit: 9 };
  const key = JSON.stringify(params);
  const q = useQuery<Breakdown>(key, (signal) => get<Breakdown>('/api/breakdown', params, signal), props.poll);
  const seen = useRef(props.version);
  useEffect(() => {
    if (props.version === seen.current) return;
    seen.current = props.version;
    q.refresh();
  }, [props.version]);
  const csvHref = withQuery('/api/breakdown', { ...params, limit: 1000, format: 'csv' });
  const rows = q.data?.rows ?? [];
  const max = rows.reduce((a, r) => Math.max(a, r.visitors), 0);
  const total = q.data?.total_visitors ?? 0;
  return html`<section class="card list-card" aria-labelledby=${'h-' + tab.dim}>
    <div class="card-head">
      <h2 id=${'h-' + tab.dim}>${props.title}</h2>
      ${props.tabs.length > 1 &&
      html`<div class="tabs" role="tablist">
        ${props.tabs.map(
          (t) => html`<button type="button" role="tab" aria-selected=${t.dim === tab.dim} class=${'tab' + (t.dim === tab.dim ? ' active' : '')}
            onClick=${() => setTab(t.dim)}>${t.label}</button>`,
        )}
      </div>`}
    </div>
    <div class="list-cols"><span>${tab.column}</span><span>Visitors</span></div>
    <div class=${'list-body' + (q.loading && q.data ? ' dim' : '')}>
      ${q.error && !q.data
        ? html`<${ErrorPanel} error=${q.error} retry=${q.reload} what=${props.title} />`
        : !q.data
          ? html`<${Skeleton} lines=${6} height=${20} />`
          : rows.length === 0
            ? html`<${Empty} title="No data yet">Nothing recorded for ${tab.label.toLowerCase()} in ${props.range}.</${Empty}>`
            : html`<ol class="list" aria-label=${tab.label}>
                ${rows.map((r) => {
                  const f = filterFor(tab.dim, r.value);
                  const label = rowLabel(tab.dim, r.value);
                  const w = max > 0 ? Math.max(1, (100 * r.visitors) / max) : 0;
                  const tip = `${exact(r.visitors)} visitors · ${exact(r.pageviews)} pageviews${total ? ' · ' + percent(r.visitors / total) + ' of visitors' : ''}`;
                  return html`<li class="list-row" title=${tip}>
                    <span class="bar" style=${{ width: w + '%' }} aria-hidden="true"></span>
                    ${f
                      ? html`<button type="button" class="row-label link" title=${'Filter: ' + label} onClick=${() => patch(f)}>${label}</button>`
                      : html`<span class="row-label">${label}</span>`}
                    <span class="row-value">${short(r.visitors)}</span>
                  </li>`;
                })}
              </ol>`}
    </div>
    <div class="card-foot">
      <a class="btn-link" href=${csvHref} download=${`${slug(tab.label)}-${props.scope.range.from}-${props.scope.range.to}.csv`}>
        <${Icon} name="download" size=${14} />Export CSV</a>
    </div>
  </section>`;
}
