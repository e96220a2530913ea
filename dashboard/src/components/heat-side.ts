// The heatmap's side panel: a summary, the top elements (rank, selector, clicks, share, rage and
// dead), the clicks whose element is not in the page being shown (counted and listed, not dropped),
// and the scroll-reach table.
import type { Elements } from '../api/types';
import { html } from '../html';
import { Link } from './link';
import type { AppState } from '../lib/url-state';
import { exact, percent, short } from '../lib/format';
import type { Pinned, Unplaced } from '../lib/pin';
import { type Fold, reachAt } from '../lib/scroll';
import type { HeatView } from '../lib/url-state';
import { KIND_UNIT, plural } from './heat-overlay';
import { ErrorPanel, Skeleton } from './states';
import type { Query } from '../hooks';

const REASON: Record<Unplaced['reason'], string> = {
  missing: 'not in this page version',
  hidden: 'hidden in this view',
  'no-selector': 'no selector recorded',
};

export function ElementList(props: {
  q: Query<Elements>;
  pinned?: Pinned[];
  unplaced?: Unplaced[];
  unplacedClicks?: number;
  canPlace: boolean;
  highlight?: string;
  onHighlight(h: string | undefined): void;
  limit?: number;
  /** The page's state: each element links to the replays with clicks on it. */
  s?: AppState;
}) {
  const { q } = props;
  if (q.error && !q.data) return html`<${ErrorPanel} error=${q.error} retry=${q.reload} what="Elements" />`;
  if (!q.data) return html`<${Skeleton} lines=${6} height=${18} />`;
  const els = q.data.elements.slice(0, props.limit ?? 50);
  const total = q.data.total_clicks || els.reduce((a, e) => a + e.clicks, 0);
  if (els.length === 0) return html`<p class="muted">No clicked elements in this range.</p>`;
  const labels = new Map((props.pinned ?? []).map((p) => [p.selector_hash, p.label]));
  const unplacedBy = new Map((props.unplaced ?? []).map((u) => [u.selector_hash, u]));
  return html`<div class="element-list">
    <p class="found" data-found=${els.length}>Found: <strong>${exact(els.length)}</strong> ${els.length === 1 ? 'element' : 'elements'} / <strong>${exact(total)}</strong> ${total === 1 ? 'click' : 'clicks'}</p>
    <ol class="el-rows">
      ${els.map((e, i) => {
        const u = unplacedBy.get(e.selector_hash);
        const share = total > 0 ? e.clicks / total : 0;
        return html`<li class=${'el-row' + (props.highlight === e.selector_hash ? ' focus' : '') + (u ? ' unplaced' : '')} data-selector=${e.selector}
          data-clicks=${e.clicks} onMouseEnter=${() => props.onHighlight(e.selector_hash)} onMouseLeave=${() => props.onHighlight(undefined)}>
          <span class="el-rank">${i + 1}</span>
          <span class="el-main">
            ${labels.get(e.selector_hash) && html`<span class="el-name">${labels.get(e.selector_hash)}</span>`}
            <code class="el-sel" title=${e.selector || '(no selector)'}>${e.selector || '(no selector)'}</code>
            <span class="el-meta">
              <span title=${plural(e.clicks, KIND_UNIT.clicks)}>${short(e.clicks)} ${e.clicks === 1 ? 'click' : 'clicks'}</span> · <span>${percent(share)}</span>
              ${e.rage > 0 && html` · <span class="flag rage" title=${plural(e.rage, KIND_UNIT.rage)}>rage ${short(e.rage)}</span>`}
              ${e.dead > 0 && html` · <span class="flag dead" title=${plural(e.dead, KIND_UNIT.dead)}>dead ${short(e.dead)}</span>`}
              ${props.canPlace && u && html` · <span class="warn-text">${REASON[u.reason]}</span>`}
              ${props.s && e.selector && html` · <${Link} to=${{ ...props.s, route: 'replays', el: e.selector, session: '', t: 0, vw: '' }} class="el-replays"
                label=${'Replays with clicks on ' + e.selector}>Replays<//>`}
            </span>
          </span>
        </li>`;
      })}
    </ol>
    ${props.canPlace && (props.unplaced?.length ?? 0) > 0 &&
    html`<div class="unplaced-box" role="note" data-unplaced-clicks=${props.unplacedClicks}>
      <strong>${plural(props.unplacedClicks ?? 0, KIND_UNIT.clicks)}</strong> on ${exact(props.unplaced!.length)} ${props.unplaced!.length === 1 ? 'element that is' : 'elements that are'} not in this version of the page (removed, renamed, or shown only after an interaction). They are counted above and in the heatmap.
      <ul class="unplaced-list">
        ${props.unplaced!.map((u) => html`<li data-selector=${u.selector}><code>${u.selector || '(no selector)'}</code> — ${plural(u.clicks, KIND_UNIT.clicks)}, ${REASON[u.reason]}</li>`)}
      </ul>
    </div>`}
  </div>`;
}

function foldNote(fold: Fold | undefined, avgFoldPx: number | null | undefined): string {
  if (!fold) return typeof avgFoldPx === 'number' && avgFoldPx > 0 ? ` · average fold ${avgFoldPx} px` : '';
  return fold.average
    ? ` · average fold ${fold.px} px (${fold.pct.toFixed(0)}% of this page)`
    : ` · fold at ${fold.pct.toFixed(0)}% of the page (this screen)`;
}

export function ReachTable(props: { reach: number[]; views: number; fold?: Fold; avgFoldPx?: number | null }) {
  const rows = [10, 25, 50, 75, 90, 100];
  return html`<table class="reach-table">
    <caption class="sr-only">Share of page views that reached each depth</caption>
    <thead><tr><th scope="col">Depth</th><th scope="col">Reached by</th></tr></thead>
    <tbody>
      ${rows.map((d) => html`<tr data-depth=${d} data-reach=${reachAt(props.reach, d).toFixed(2)}><td>${d}%</td><td>${reachAt(props.reach, d).toFixed(1)}%</td></tr>`)}
    </tbody>
  </table>
  <p class="muted small">${exact(props.views)} ${props.views === 1 ? 'page view' : 'page views'}${foldNote(props.fold, props.avgFoldPx)}</p>`;
}

export function sideTitle(view: HeatView): string {
  return view === 'scroll' ? 'Scroll reach' : view === 'elements' ? 'Elements' : 'Top elements';
}
