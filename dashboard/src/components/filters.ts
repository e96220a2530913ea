// The filter bar shared by every page: date range, device and viewport filters, the compare toggle
// on the overview, and pills for the active filters (each removable; Esc clears them all).
import { html } from '../html';
import type { DayRange } from '../lib/dates';
import { type AppState, clearFilters, type Device, DEVICES, hasFilters, type Viewport, VIEWPORTS } from '../lib/url-state';
import { navigate, patch } from '../store';
import { DatePicker } from './date-picker';
import { Icon } from './icons';
import { Link } from './link';

export const DEVICE_LABEL: Record<string, string> = { desktop: 'Desktop', mobile: 'Mobile', tablet: 'Tablet' };
export const VW_LABEL: Record<string, string> = {
  '0-479': 'Under 480 px',
  '480-767': '480–767 px',
  '768-1023': '768–1023 px',
  '1024-1439': '1024–1439 px',
  '1440+': '1440 px and wider',
};

/** The bot toggle: traffic scored as bots is left out unless included; `bots` says how much was left out. */
function BotToggle(props: { s: AppState; bots?: { pageviews: number; share: number } }) {
  const b = props.bots;
  const pct = b && b.pageviews > 0 ? `${b.share < 0.001 ? '<0.1' : (b.share * 100).toFixed(1)}% of page views` : '';
  const note = pct && (props.s.bots === 'include' ? ` · ${pct}` : ` · ${pct} left out`);
  return html`<label class="toggle bot-toggle" title="Visits scored as bots (headless browsers, crawlers, automation: bot score 50 or more) are left out of every number unless included">
    <input type="checkbox" checked=${props.s.bots === 'include'} onChange=${(e: Event) => patch({ bots: (e.target as HTMLInputElement).checked ? 'include' : '' })} />
    <span>Include bots${note && html`<span class="muted bot-share">${note}</span>`}</span>
  </label>`;
}

/** `layoutFilters: false` (heatmaps): device and width are picked by the page's layout tabs instead. */
/** `widthFilter: false` (replays): no viewport width filter (a recording is not filtered by it). */
export function FilterBar(props: { s: AppState; range: DayRange; now: number; compare?: boolean; layoutFilters?: boolean; widthFilter?: boolean; bots?: { pageviews: number; share: number } }) {
  const { s } = props;
  const layout = props.layoutFilters !== false;
  const width = layout && props.widthFilter !== false;
  const pills: Array<{ label: string; clear: Partial<AppState> }> = [];
  if (s.route !== 'heatmaps' && s.route !== 'funnels' && s.path) pills.push({ label: s.route === 'replays' ? `Visited ${s.path}` : `Page is ${s.path}`, clear: { path: '' } });
  if (s.route === 'replays' && s.el) pills.push({ label: `Clicked ${s.el}`, clear: { el: '' } });
  if (layout && s.device) pills.push({ label: `Device is ${DEVICE_LABEL[s.device]}`, clear: { device: '' } });
  if (width && s.vw) pills.push({ label: `Width ${VW_LABEL[s.vw]}`, clear: { vw: '' } });
  return html`<div class="filter-bar" role="toolbar" aria-label="Filters">
    <${DatePicker} s=${s} range=${props.range} now=${props.now} />
    ${props.compare &&
    html`<label class="toggle" title="Compare with the previous period (X)">
      <input type="checkbox" checked=${s.compare} onChange=${(e: Event) => patch({ compare: (e.target as HTMLInputElement).checked })} />
      <span>Compare</span>
    </label>`}
    <${BotToggle} s=${s} bots=${props.bots} />
    ${layout &&
    html`<label class="select-wrap"><span class="sr-only">Device</span>
      <select value=${s.device} onChange=${(e: Event) => patch({ device: (e.target as HTMLSelectElement).value as Device })}>
        <option value="">All devices</option>
        ${DEVICES.map((d) => html`<option value=${d}>${DEVICE_LABEL[d]}</option>`)}
      </select>
    </label>
    ${width &&
    html`<label class="select-wrap"><span class="sr-only">Viewport width</span>
      <select value=${s.vw} onChange=${(e: Event) => patch({ vw: (e.target as HTMLSelectElement).value as Viewport })}>
        <option value="">All widths</option>
        ${VIEWPORTS.map((v) => html`<option value=${v}>${VW_LABEL[v]}</option>`)}
      </select>
    </label>`}`}
    ${pills.length > 0 &&
    html`<div class="pills">
      ${pills.map(
        (p) => html`<span class="pill">${p.label}<button type="button" class="pill-x" aria-label=${'Remove filter: ' + p.label}
          onClick=${() => patch(p.clear)}><${Icon} name="close" size=${12} /></button></span>`,
      )}
      ${s.route === 'overview' && s.path && html`<${Link} to=${{ ...s, route: 'replays' }} class="btn-link replays-of-page">Replays of this page<//>`}
      ${hasFilters(s) && html`<button type="button" class="btn-link" title="Clear all filters (Esc)" onClick=${() => navigate(clearFilters(s))}>Clear <kbd>Esc</kbd></button>`}
    </div>`}
  </div>`;
}
