// Heatmaps (spec §7, §17.1; UX.md "Heatmaps"): pick a page, then see its clicks (or rage / dead
// clicks) as a heatmap, its scroll map, or per-element counts, drawn over the page in one of three
// overlay modes — the DOM snapshot (default), the live page in a frame, or the bookmarklet on your
// own site. Exports: PNG of what is drawn, CSV of tiles, JSON of element counts.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get, scopeParams } from '../api/client';
import type { ElementHeat, Elements, Heatmap, Layouts, Paths, Project, Scrollmap, Snapshot } from '../api/types';
import { BookmarkletPanel } from '../components/bookmarklet-panel';
import { DEVICE_LABEL, FilterBar, VW_LABEL } from '../components/filters';
import { LayoutTabs } from '../components/layout-tabs';
import { HeatOverlay, KIND_UNIT, legendTop, plural } from '../components/heat-overlay';
import { ElementList, ReachTable, sideTitle } from '../components/heat-side';
import { Icon } from '../components/icons';
import { type Layout, LiveFrame, SnapshotFrame } from '../components/page-frame';
import { PageHeader } from '../components/shell';
import { CopyButton } from '../components/snippet';
import { Empty, ErrorPanel, Skeleton, Spinner } from '../components/states';
import { useQuery, useWidth } from '../hooks';
import { html } from '../html';
import { slug } from '../lib/csv';
import { type DayRange, PERIODS, toDay } from '../lib/dates';
import { composePng, download } from '../lib/export-png';
import { ago, exact, range as fmtRange } from '../lib/format';
import { type HeatScale, legendGradient, paletteStops, scaleOf, type Spot, spotsOfTiles, tilesCsv } from '../lib/heat';
import { pickLayout } from '../lib/layouts';
import { addOriginCommand, liveTarget, projectOrigins } from '../lib/live-url';
import { elementsJson, heatSpots, place } from '../lib/pin';
import { markers, pickFold, reachArray } from '../lib/scroll';
import type { AppState, ClickKind, HeatView, OverlayMode, Palette } from '../lib/url-state';
import { patch } from '../store';

function Segmented<T extends string>(props: { label: string; value: T; options: Array<[T, string, string?]>; onChange(v: T): void; name: string }) {
  return html`<div class="segmented" role="radiogroup" aria-label=${props.label} data-name=${props.name}>
    ${props.options.map(
      ([v, label, title]) => html`<button type="button" role="radio" aria-checked=${props.value === v} class=${props.value === v ? 'on' : ''}
        title=${title} data-value=${v} onClick=${() => props.onChange(v)}>${label}</button>`,
    )}
  </div>`;
}

function PathPicker(props: { s: AppState; paths?: Paths }) {
  const [text, setText] = useState(props.s.path);
  useEffect(() => setText(props.s.path), [props.s.path]);
  const commit = () => {
    const t = text.trim();
    if (t && t.startsWith('/') && t !== props.s.path) patch({ path: t });
    else if (!t.startsWith('/')) setText(props.s.path);
  };
  return html`<form class="path-picker" onSubmit=${(e: Event) => {
    e.preventDefault();
    commit();
  }}>
    <label for="path-input">Page</label>
    <input id="path-input" type="text" list="path-options" value=${text} placeholder="/pricing" spellcheck=${false} autocomplete="off"
      onInput=${(e: Event) => {
        const v = (e.target as HTMLInputElement).value;
        setText(v);
        if (props.paths?.paths.some((p) => p.path === v)) patch({ path: v });
      }} onBlur=${commit} />
    <datalist id="path-options">
      ${(props.paths?.paths ?? []).map((p) => html`<option value=${p.path}>${exact(p.pageviews)} pageviews</option>`)}
    </datalist>
  </form>`;
}

const SCALE_NOTE: Record<HeatScale, string> = {
  log: 'Log scale: colour grows with log(1 + clicks), the busiest tile is red',
  p99: 'Linear up to the 99th percentile: tiles with this many or more are at full colour',
};


function Legend(props: { palette: Palette; scale: number; mode: HeatScale; kind: ClickKind; pageviews?: number; vw: string; period: string }) {
  return html`<div class="legend" aria-label="Legend" data-scale-mode=${props.mode}>
    <div class="legend-bar" style=${{ background: legendGradient(paletteStops(props.palette)) }}></div>
    <div class="legend-scale">${props.scale > 0
      ? html`<span>0</span><span title=${SCALE_NOTE[props.mode]}>${legendTop(props.scale, props.mode, props.kind)}</span>`
      : html`<span>${legendTop(0, props.mode, props.kind)}</span>`}</div>
    <div class="legend-sub">${props.pageviews !== undefined ? plural(props.pageviews, ['pageview', 'pageviews']) + ' · ' : ''}${props.vw} · ${props.period}</div>
  </div>`;
}

function ScrollLegend() {
  return html`<div class="legend" aria-label="Legend">
    <div class="legend-bar" style=${{ background: 'linear-gradient(to right, hsl(240,100%,50%), hsl(180,100%,50%), hsl(120,100%,50%), hsl(60,100%,50%), hsl(0,100%,50%))' }}></div>
    <div class="legend-scale"><span>0% reached</span><span>100%</span></div>
  </div>`;
}

/** Live mode with no exact http(s) allowed origin: nothing to frame, and the command that fixes it. */
function NoLiveOrigin(props: { project: Project }) {
  const { project } = props;
  const wild = project.allowed_origins.filter((o) => o.trim());
  const cmd = addOriginCommand(project.id, wild);
  return html`<div class="state state-empty no-live-origin" role="status">
    <div class="state-icon" aria-hidden="true"><${Icon} name="external" size=${28} /></div>
    <p class="state-title">Add your site to the allowed origins to see the live page</p>
    <div class="state-text">
      <p>Live mode only loads pages from this project's allowed origins, so that no address sent with the public key can
        put another site in front of you. ${wild.length
          ? html`This project's allowed origins (${wild.map((o, i) => html`${i ? ', ' : ''}<code>${o}</code>`)}) name no exact site: a wildcard cannot be loaded.`
          : 'This project has none yet.'}</p>
      <p>${project.role === 'member' ? 'An owner of this project can add it' : 'Add it'} in
        <button type="button" class="btn-link" onClick=${() => patch({ route: 'settings', tab: 'settings', path: '' })}>Settings → Allowed origins</button>
        (scheme, host and port, no path). Or, on the server, replace <code>https://www.your-site.example</code> with your site's origin:</p>
    </div>
    <div class="snippet origin-cmd">
      <div class="snippet-head"><span>Allow your site</span><${CopyButton} text=${cmd} label="Copy command" /></div>
      <pre class="code" tabindex="0" aria-label="Command"><code>${cmd}</code></pre>
    </div>
    <p class="state-text small">Then only pages on the listed origins can send events with this project's key. A running server picks the change up
      within 5 s: reload this page then. The snapshot and the bookmarklet work without it.</p>
    <div class="row center">
      <button type="button" class="btn btn-primary" onClick=${() => patch({ mode: 'snapshot' })}>Use snapshot</button>
      <button type="button" class="btn" onClick=${() => patch({ mode: 'bookmarklet' })}>Use bookmarklet</button>
    </div>
  </div>`;
}

export function HeatmapsPage(props: { s: AppState; project: Project; range: DayRange; now: number }) {
  const { s, project, range } = props;
  const pageScope = scopeParams({ project: s.project, range, bots: s.bots });

  // A range that includes today is live: the counts refresh in the background every 10 s (and
  // when the tab comes back into view), so clicks made on the site a moment ago show up.
  const poll = range.to >= toDay(props.now) ? 10000 : 0;
  const pathsParams = { ...pageScope, limit: 50 };
  const pathsQ = useQuery<Paths>(JSON.stringify(pathsParams), (signal) => get<Paths>('/api/paths', pathsParams, signal), poll);
  useEffect(() => {
    const first = pathsQ.data?.paths[0]?.path;
    if (!s.path && first) patch({ path: first }, { replace: true });
  }, [pathsQ.data, s.path]);

  const path = s.path;
  // One layout per picture: the page's layouts (device × width) with their counts; the URL names
  // the one shown, and until it does, the busiest is put there (so a reload shows the same).
  const lp = { ...pageScope, path };
  const layQ = useQuery<Layouts>(path ? JSON.stringify(lp) : null, (signal) => get<Layouts>('/api/layouts', lp, signal), poll);
  const chosen = layQ.data ? pickLayout(layQ.data.layouts, s.device, s.vw) : null;
  useEffect(() => {
    if (chosen && (chosen.device !== s.device || chosen.vw !== s.vw)) patch({ device: chosen.device, vw: chosen.vw }, { replace: true });
  }, [chosen?.device, chosen?.vw, s.device, s.vw]);
  // (a page with no view of a known device and width has no layout to pick: everything is shown)
  const ready = !!path && (!!layQ.data || !!layQ.error) && (!chosen || (chosen.device === s.device && chosen.vw === s.vw));
  const base = scopeParams({ project: s.project, range, device: s.device, vw: s.vw, bots: s.bots });
  const on = (p: object) => (ready ? JSON.stringify(p) : null);
  const hp = { ...base, path, kind: s.kind };
  const heatQ = useQuery<Heatmap>(on(hp), (signal) => get<Heatmap>('/api/heatmap', hp, signal), poll);
  const ehp = { ...hp, limit: 500 };
  const ehQ = useQuery<ElementHeat>(s.view === 'heatmap' ? on(ehp) : null, (signal) => get<ElementHeat>('/api/heatmap/elements', ehp, signal), poll);
  const ep = { ...base, path, limit: 50 };
  const elQ = useQuery<Elements>(on(ep), (signal) => get<Elements>('/api/elements', ep, signal), poll);
  const sp = { ...base, path };
  const scrollQ = useQuery<Scrollmap>(s.view === 'scroll' ? on(sp) : null, (signal) => get<Scrollmap>('/api/scrollmap', sp, signal), poll);
  const snapParams = { project_id: s.project, path, vw: s.vw };
  const snapQ = useQuery<Snapshot>(on(snapParams), (signal) => get<Snapshot>('/api/snapshot', snapParams, signal));

  const [layout, setLayout] = useState<Layout | null>(null);
  const [blocked, setBlocked] = useState(false);
  const [highlight, setHighlight] = useState<string | undefined>();
  const [stageRef, stageW] = useWidth<HTMLDivElement>();
  const overlayCanvas = useRef<HTMLCanvasElement | null>(null);
  useEffect(() => setBlocked(false), [s.mode, path]);

  const tiles = heatQ.data?.tiles ?? [];
  // Snapshot (and bookmarklet-less) views draw each click on its element, where this page lays the
  // element out; the live frame cannot be measured, so it draws the document tiles.
  const drawn = useMemo((): { spots: Spot[]; undrawn: number; undrawnElements: number } => {
    if (ehQ.data && layout?.locate && !layout.live) return heatSpots(ehQ.data, layout.locate, { w: layout.docW, h: layout.docH });
    return { spots: spotsOfTiles(tiles), undrawn: 0, undrawnElements: 0 };
  }, [ehQ.data, tiles, layout]);
  const scale = useMemo(() => scaleOf(drawn.spots, s.scale), [drawn.spots, s.scale]);
  const reach = useMemo(() => (scrollQ.data ? reachArray(scrollQ.data.reach, scrollQ.data.histogram) : undefined), [scrollQ.data]);
  const marks = useMemo(() => (reach ? markers(reach) : []), [reach]);
  const fold = layout ? pickFold(scrollQ.data?.avg_fold_px, layout.vpH, layout.docH) : undefined;
  const placed = useMemo(() => {
    if (!elQ.data || !layout?.locate) return undefined;
    return place(elQ.data.elements, elQ.data.total_clicks, layout.locate, { w: layout.docW, h: layout.docH });
  }, [elQ.data, layout]);

  const periodName = PERIODS.find((p) => p.id === s.period)?.label ?? fmtRange(range.from, range.to);
  const vwName = (s.device ? DEVICE_LABEL[s.device] + ' · ' : '') + (s.vw ? VW_LABEL[s.vw]! : layout ? `${layout.vpW} px wide` : 'all widths');
  const snap = snapQ.data;
  const noSnapshot = snapQ.error?.status === 404 && !snapQ.error.missing;
  const live = liveTarget(projectOrigins(project, location.origin), path, snap?.url, location.origin);
  const dataLoading = heatQ.loading || (s.view === 'scroll' && scrollQ.loading) || (s.view === 'elements' && elQ.loading);

  const exportPng = () => {
    if (!layout) return;
    const c = composePng({
      docW: layout.docW,
      docH: layout.docH,
      doc: layout.doc,
      overlay: s.view === 'elements' ? null : overlayCanvas.current,
      pinned: s.view === 'elements' ? placed?.pinned : undefined,
      title: `${project.name} · ${path} · ${s.view === 'scroll' ? 'scroll map' : s.view === 'elements' ? 'elements' : KIND_UNIT[s.kind][1]}`,
      subtitle: `${fmtRange(range.from, range.to)} (UTC) · ${vwName}${s.device ? ' · ' + s.device : ''}${heatQ.data ? ' · ' + plural(heatQ.data.total, KIND_UNIT[s.kind]) : ''}`,
      legend: s.view === 'heatmap' ? { palette: s.palette, label: legendTop(scale, s.scale, s.kind) } : undefined,
    });
    c.toBlob((b) => b && download(`heatmap-${slug(path)}-${range.from}-${range.to}.png`, b));
  };
  const exportCsv = () => heatQ.data && download(`tiles-${s.kind}-${slug(path)}-${range.from}-${range.to}.csv`, tilesCsv(heatQ.data.tiles), 'text/csv');
  const exportJson = () =>
    elQ.data && download(`elements-${slug(path)}-${range.from}-${range.to}.json`, elementsJson(path, range, elQ.data.elements, elQ.data.total_clicks), 'application/json');

  const overlay =
    layout &&
    html`<${HeatOverlay} layout=${layout} view=${s.view} kind=${s.kind} spots=${drawn.spots} opacity=${s.opacity} palette=${s.palette} scale=${s.scale}
      reach=${reach} views=${scrollQ.data?.views} markers=${marks} fold=${fold} pinned=${placed?.pinned}
      highlight=${highlight} onHighlight=${setHighlight} canvasRef=${overlayCanvas} />`;

  let stage;
  if (!path) {
    stage = pathsQ.error
      ? html`<${ErrorPanel} error=${pathsQ.error} retry=${pathsQ.reload} what="The list of pages" />`
      : pathsQ.data
        ? html`<${Empty} title="No pages with visits in this range" icon="heatmaps">Heatmaps appear once visitors load pages with the snippet.
            Try a longer range, or check <a href=${'/app/settings?project=' + encodeURIComponent(s.project)}>Settings → Install</a>.</${Empty}>`
        : html`<${Skeleton} lines=${8} height=${24} />`;
  } else if (s.mode === 'bookmarklet') {
    stage = html`<${BookmarkletPanel} s=${s} range=${range} pageUrl=${live?.url ?? ''} />`;
  } else if (s.mode === 'live') {
    stage = !live
      ? html`<${NoLiveOrigin} project=${project} />`
      : blocked
        ? html`<div class="state state-error blocked" role="alert">
            <p class="state-title">Your site blocks embedding</p>
            <p class="state-text">${live.url} did not answer within 7.5 seconds. Either it forbids framing (<code>X-Frame-Options</code> or
              <code>frame-ancestors</code>), or its snippet is not up to date. Use the snapshot or the bookmarklet instead — both work on any site.</p>
            <div class="row">
              <button type="button" class="btn btn-primary" onClick=${() => patch({ mode: 'snapshot' })}>Use snapshot</button>
              <button type="button" class="btn" onClick=${() => patch({ mode: 'bookmarklet' })}>Use bookmarklet</button>
              <button type="button" class="btn" onClick=${() => setBlocked(false)}>Try again</button>
            </div>
          </div>`
        : html`<${LiveFrame} url=${live.url} sandbox=${live.sandbox} vpW=${snap?.viewport.w || 1280} vpH=${snap?.viewport.h || 800} width=${stageW}
            onLayout=${setLayout} onBlocked=${() => setBlocked(true)}>${overlay}</${LiveFrame}>`;
  } else if (snapQ.error && !noSnapshot) {
    stage = html`<${ErrorPanel} error=${snapQ.error} retry=${snapQ.reload} what="The page snapshot" />`;
  } else if (noSnapshot) {
    stage = html`<${Empty} title=${'No snapshot of ' + path + ' yet'} icon="camera">
      The snippet captures a masked snapshot of a page when a visitor stays on it for a few seconds at this width${s.vw ? ` (${VW_LABEL[s.vw]})` : ''}.
      Until then, the counts are in the side panel, and you can see the heatmap over the live page:
      <div class="row center">
        <button type="button" class="btn btn-primary" onClick=${() => patch({ mode: 'live' })}>Live page</button>
        <button type="button" class="btn" onClick=${() => patch({ mode: 'bookmarklet' })}>Bookmarklet</button>
      </div>
    </${Empty}>`;
  } else if (!snap) {
    stage = html`<div class="stage-skeleton skeleton"></div>`;
  } else {
    // keyed by the snapshot: a new layout is a new frame, measured from scratch with its overlay
    stage = html`<${SnapshotFrame} key=${snap.url + '@' + snap.captured_at + '@' + s.vw} snap=${snap} projectId=${s.project} width=${stageW} onLayout=${setLayout}>${overlay}</${SnapshotFrame}>`;
  }

  const err = heatQ.error && !heatQ.data ? heatQ.error : s.view === 'scroll' && scrollQ.error && !scrollQ.data ? scrollQ.error : undefined;
  const framed = path && s.mode !== 'bookmarklet';
  const heatEmpty = heatQ.data && heatQ.data.total === 0 && s.view === 'heatmap';
  const scrollEmpty = s.view === 'scroll' && scrollQ.data && scrollQ.data.views === 0;

  return html`<div class="page heatmaps-page">
    <${PageHeader} title="Heatmaps">
      <${FilterBar} s=${s} range=${range} now=${props.now} layoutFilters=${false} />
    </${PageHeader}>
    <section class="card heat-toolbar" aria-label="Heatmap settings">
      <div class="toolbar-row">
        <${PathPicker} s=${s} paths=${pathsQ.data} />
        <${Segmented} name="mode" label="Overlay mode" value=${s.mode} onChange=${(v: OverlayMode) => patch({ mode: v })} options=${[
          ['snapshot', 'Snapshot', 'The page rendered from the snapshot the snippet captured'],
          ['live', 'Live page', 'Your page in a frame (needs a site that allows embedding)'],
          ['bookmarklet', 'Bookmarklet', 'Draw the heatmap over your own page'],
        ]} />
      </div>
      ${path && html`<div class="toolbar-row"><${LayoutTabs} layouts=${layQ.data?.layouts} device=${s.device} vw=${s.vw} /></div>`}
      <div class="toolbar-row">
        <${Segmented} name="view" label="View" value=${s.view} onChange=${(v: HeatView) => patch({ view: v })} options=${[
          ['heatmap', 'Heatmap'],
          ['scroll', 'Scroll map'],
          ['elements', 'Elements'],
        ]} />
        ${s.view === 'heatmap' &&
        html`<${Segmented} name="kind" label="Clicks shown" value=${s.kind} onChange=${(v: ClickKind) => patch({ kind: v })} options=${[
          ['clicks', 'All clicks'],
          ['rage', 'Rage', 'Three or more clicks within 1 s and 30 px'],
          ['dead', 'Dead', 'Clicks after which nothing changed for 2.5 s'],
        ]} />`}
        ${s.view === 'heatmap' &&
        html`<label class="range-input">Opacity
          <input type="range" min="0" max="0.8" step="0.05" value=${s.opacity} aria-valuetext=${Math.round(s.opacity * 100) + '%'}
            onChange=${(e: Event) => patch({ opacity: Number((e.target as HTMLInputElement).value) }, { replace: true })} />
        </label>
        <label class="select-wrap">Palette
          <select value=${s.palette} onChange=${(e: Event) => patch({ palette: (e.target as HTMLSelectElement).value as Palette }, { replace: true })}>
            <option value="classic">Classic</option>
            <option value="cb">Colour-blind safe</option>
          </select>
        </label>
        <label class="select-wrap">Scale
          <select value=${s.scale} title=${SCALE_NOTE[s.scale]} onChange=${(e: Event) => patch({ scale: (e.target as HTMLSelectElement).value as HeatScale }, { replace: true })}>
            <option value="log">Log</option>
            <option value="p99">Linear (p99)</option>
          </select>
        </label>`}
        <div class="exports" role="group" aria-label="Export">
          <button type="button" class="btn btn-small" disabled=${!layout || s.mode !== 'snapshot'} onClick=${exportPng} title="PNG of the heatmap as drawn"><${Icon} name="download" size=${14} />PNG</button>
          <button type="button" class="btn btn-small" disabled=${!heatQ.data} onClick=${exportCsv} title="Tile counts (i, j, count) as CSV"><${Icon} name="download" size=${14} />Tiles CSV</button>
          <button type="button" class="btn btn-small" disabled=${!elQ.data} onClick=${exportJson} title="Element counts as JSON"><${Icon} name="download" size=${14} />Elements JSON</button>
        </div>
      </div>
    </section>
    <div class="heat-body">
      <div class="stage-col" ref=${stageRef}>
        <div class="stage-head">
        ${path &&
        html`<p class="stage-status" role="status">
          ${heatQ.data
            ? html`<strong>${plural(heatQ.data.total, KIND_UNIT[s.kind])}</strong>${heatQ.data.pageviews !== undefined ? html` · ${plural(heatQ.data.pageviews, ['pageview', 'pageviews'])}` : ''} on <code>${path}</code>`
            : heatQ.loading
              ? html`<${Spinner} /> Loading ${KIND_UNIT[s.kind][1]}…`
              : ''}
          ${snap && s.mode === 'snapshot' && html`<span class="muted"> · snapshot ${ago(props.now - snap.captured_at)} at ${snap.viewport.w}×${snap.viewport.h} · <span class="masked-note" title="So that no visitor's words leave their browser, the snippet masks all text in snapshots (same length, so the layout holds). To show real text, put tapistry('config', { maskText: false }) before the snippet; form values and [data-tapistry-mask] stay masked either way (docs/sdk.md, Privacy).">text shown as Xxxx is masked</span></span>`}
          ${s.view === 'heatmap' && drawn.undrawn > 0 && html`<span class="muted undrawn-note" title="These elements are not in this snapshot (or are hidden in it), so their clicks cannot be drawn where they happened; they are in the list on the right.">
            · ${plural(drawn.undrawn, KIND_UNIT[s.kind])} on ${drawn.undrawnElements ? plural(drawn.undrawnElements, ['element', 'elements']) : 'elements'} not in this snapshot</span>`}
          ${dataLoading && heatQ.data && html` <${Spinner} label="Refreshing" />`}
        </p>`}
        ${framed && layout && s.view === 'heatmap' && html`<${Legend} palette=${s.palette} scale=${scale} mode=${s.scale} kind=${s.kind} pageviews=${heatQ.data?.pageviews} vw=${vwName} period=${periodName} />`}
        ${framed && layout && s.view === 'scroll' && html`<${ScrollLegend} />`}
        </div>
        ${err && html`<${ErrorPanel} error=${err} retry=${() => (heatQ.reload(), scrollQ.reload())} what="The heatmap data" />`}
        ${framed && heatEmpty && html`<p class="note">No ${KIND_UNIT[s.kind][1]} on ${path} in this range. Try ${s.kind !== 'clicks' ? '“All clicks”, ' : ''}a longer range or other filters.</p>`}
        ${framed && scrollEmpty && html`<p class="note">No scroll data for this page and range yet: it arrives when a page view ends.</p>`}
        ${framed && s.view === 'elements' && s.mode === 'live' && html`<p class="note">Element badges need the snapshot or the bookmarklet (a live frame's page cannot be measured); the list is on the right.</p>`}
        <div class=${'stage' + (dataLoading && heatQ.data ? ' refreshing' : '')}>${stage}</div>
      </div>
      <aside class="card side" aria-label=${sideTitle(s.view)}>
        <h2>${sideTitle(s.view)}</h2>
        ${s.view === 'scroll'
          ? scrollQ.error && !scrollQ.data
            ? html`<${ErrorPanel} error=${scrollQ.error} retry=${scrollQ.reload} what="The scroll map" />`
            : reach && scrollQ.data
              ? html`<${ReachTable} reach=${reach} views=${scrollQ.data.views} fold=${fold} avgFoldPx=${scrollQ.data.avg_fold_px} />`
              : path
                ? html`<${Skeleton} lines=${6} />`
                : html`<p class="muted">Pick a page.</p>`
          : path
            ? html`<${ElementList} s=${s} q=${elQ} pinned=${placed?.pinned} unplaced=${placed?.unplaced} unplacedClicks=${placed?.unplacedClicks}
                canPlace=${!!layout?.locate} highlight=${highlight} onHighlight=${setHighlight} limit=${s.view === 'elements' ? 50 : 10} />`
            : html`<p class="muted">Pick a page.</p>`}
      </aside>
    </div>
  </div>`;
}
