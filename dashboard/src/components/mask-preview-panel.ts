// Settings → Session replay: "Preview on a page" (UX.md Settings, "Masking (preview)"), loaded
// lazily by mask-preview.ts. The draft (unsaved) mask / allow / ignore selectors applied to a page
// snapshot of the project, live as selectors are added or removed: the snapshot is rendered in its
// sandboxed frame (page-frame.ts SnapshotFrame), its body is replaced by a fresh copy on every
// change, and that copy is made to look as a recording would (lib/mask-preview.ts: ignored
// elements emptied to boxes, masked text masked); over it, a hatched box per masked element, a
// grey one per ignored element and an outline per shown one, with counts, a legend, and an inline
// word on invalid selectors.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get } from '../api/client';
import type { Paths, Snapshot } from '../api/types';
import { useQuery, useWidth } from '../hooks';
import { html } from '../html';
import { toDay } from '../lib/dates';
import { elementLabel } from '../lib/label';
import {
  applyPreview,
  bodyText,
  capturedMasked,
  compileRules,
  type Counts,
  countsLine,
  LIST_LABEL,
  type ListName,
  listProblem,
  plan,
  type Treatment,
} from '../lib/mask-preview';
import type { MaskPreviewProps } from './mask-preview';
import { type Layout, SnapshotFrame } from './page-frame';
import { Empty, ErrorPanel, Skeleton, Spinner } from './states';

/** Pages looked at for a snapshot: the most visited of the last 30 days (snapshots live 30 days). */
const PAGES = 25;
const DAYS = 30;

/** The project's most visited pages that have a snapshot (GET /api/paths, then /api/snapshot/status each). */
async function snapshotPages(projectId: string, signal: AbortSignal): Promise<string[]> {
  const now = Date.now();
  const p = await get<Paths>('/api/paths', { project_id: projectId, from: toDay(now - DAYS * 86400000), to: toDay(now), limit: PAGES, bots: 'include' }, signal);
  const has = await Promise.all(
    p.paths.map((x) =>
      get<{ exists: boolean }>('/api/snapshot/status', { project_id: projectId, path: x.path }, signal).then(
        (s) => s.exists,
        () => false,
      ),
    ),
  );
  return p.paths.filter((_, i) => has[i]).map((x) => x.path);
}

interface Drawn {
  kind: Treatment;
  why: string;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

interface View {
  drawn: Drawn[];
  counts: Counts;
  overridden: number;
  captured: 'masked' | 'real' | 'unknown';
}

// drawn in this order: outlines under hatching under grey boxes
const ORDER: Treatment[] = ['shown', 'masked', 'ignored'];

/** "field “Email”", or the tag with its id or first class: "div#chat". */
function nameOf(el: Element): string {
  const cls = (el.getAttribute('class') || '').trim().split(/\s+/)[0];
  return elementLabel(el) || el.localName + (el.id ? '#' + el.id : cls ? '.' + cls : '');
}

function title(d: Drawn): string {
  const what = d.label;
  if (d.kind === 'ignored') return `${what}: ignored (${d.why}) — left out of recordings, a grey box`;
  if (d.kind === 'masked') return d.why === 'form field' ? `${what}: a form field — its value is never recorded` : `${what}: masked (${d.why})`;
  return `${what}: shown (${d.why}) — its text is readable in recordings`;
}

function Legend() {
  return html`<ul class="plain mp-legend" aria-label="Legend">
    <li><span class="mp-swatch mp-masked" aria-hidden="true"></span><strong>Masked</strong> — text as Xxxx (same length), images as boxes; form fields always</li>
    <li><span class="mp-swatch mp-ignored" aria-hidden="true"></span><strong>Ignored</strong> — left out: a grey box of its size, nothing inside recorded</li>
    <li><span class="mp-swatch mp-shown" aria-hidden="true"></span><strong>Shown</strong> — text readable (emails, card numbers and the like still redacted)</li>
  </ul>`;
}

function Note(props: { v: View }) {
  const { v } = props;
  const rest =
    v.captured === 'real'
      ? html`This snapshot holds real text, so its page’s snippet sets <code>maskText: false</code>: everything but masked and ignored elements is readable in its recordings, and unmasked selectors change nothing there.`
      : v.captured === 'masked'
        ? html`All other text is masked too (the snippet’s default): only shown elements are readable in a recording. This snapshot was captured masked, so their text reads Xxxx here.`
        : html`All other text is masked too, unless the page’s snippet sets <code>maskText: false</code>.`;
  return html`<p class="muted small mp-note">${rest}</p>
    ${v.overridden > 0 &&
    html`<p class="muted small mp-note mp-overridden">${v.overridden === 1 ? '1 element an unmasked selector matches stays masked: it is' : `${v.overridden} elements unmasked selectors match stay masked: they are`} inside a masked element or a form field (masking wins).</p>`}`;
}

/**
 * A mark's classes at display scale `k`. Its chip ("masked"…) sits inside the box's top-left corner,
 * a shown one's above the box (its text stays readable) or, at the top of the page, beside it; a box
 * too small for its chip has none (the legend says what its pattern means).
 */
function markClass(d: Drawn, k: number): string {
  const tiny = d.w * k < 44 || (d.kind !== 'shown' && d.h * k < 16);
  return 'mp-mark mp-' + d.kind + (tiny ? ' tiny' : '') + (d.y * k < 18 ? ' at-top' : '');
}

/** The frame with the preview drawn over it; `onView` reports what it drew. */
function PreviewFrame(props: { snap: Snapshot; projectId: string; width: number; rules: ReturnType<typeof compileRules>; rulesKey: string; onView(v: View | null): void }) {
  const [layout, setLayout] = useState<Layout | null>(null);
  const [view, setView] = useState<View | null>(null);
  // the snapshot's body as loaded, copied afresh for every rule change
  const pristine = useRef<{ doc: Document; body: Element; captured: View['captured'] } | null>(null);
  useEffect(() => {
    const doc = layout?.doc;
    if (!doc?.body || !doc.documentElement) return;
    if (pristine.current?.doc !== doc) pristine.current = { doc, body: doc.body.cloneNode(true) as Element, captured: capturedMasked(bodyText(doc.body)) };
    const body = pristine.current.body.cloneNode(true) as HTMLElement;
    doc.documentElement.replaceChild(body, doc.body);
    const p = plan(body, props.rules);
    const win = doc.defaultView;
    applyPreview(p, (el) => {
      const h = el as HTMLElement;
      const r = el.getBoundingClientRect();
      return { w: Math.round(h.offsetWidth ?? r.width), h: Math.round(h.offsetHeight ?? r.height), display: win?.getComputedStyle(el).display || 'inline' };
    });
    const sx = win?.scrollX ?? 0;
    const sy = win?.scrollY ?? 0;
    const drawn: Drawn[] = [];
    for (const m of p.marks) {
      const r = m.el.getBoundingClientRect();
      if (r.width <= 0 || r.height <= 0) continue;
      drawn.push({ kind: m.kind, why: m.why, label: nameOf(m.el), x: r.left + sx, y: r.top + sy, w: r.width, h: r.height });
    }
    drawn.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
    const v = { drawn, counts: p.counts, overridden: p.overridden.length, captured: pristine.current.captured };
    setView(v);
    props.onView(v);
  }, [layout?.doc, props.rulesKey]);
  useEffect(() => () => props.onView(null), []);

  const k = layout?.k ?? 1;
  return html`<${SnapshotFrame} snap=${props.snap} projectId=${props.projectId} width=${props.width} onLayout=${setLayout}>
    ${layout &&
    view &&
    html`<div class="mp-layer" data-marks=${view.drawn.length}>
      ${view.drawn.map(
        (d) => html`<div class=${markClass(d, k)} data-kind=${d.kind} data-why=${d.why} title=${title(d)}
          style=${{ left: d.x * k + 'px', top: d.y * k + 'px', width: d.w * k + 'px', height: d.h * k + 'px' }}><span class="mp-chip" aria-hidden="true">${d.kind}</span></div>`,
      )}
    </div>`}
  <//>`;
}

export function MaskPreviewPanel(props: MaskPreviewProps) {
  const { projectId } = props;
  const [version, setVersion] = useState(0);
  const [picked, setPicked] = useState('');
  const [view, setView] = useState<View | null>(null);
  const [stageRef, stageW] = useWidth<HTMLDivElement>();
  const rulesKey = JSON.stringify([props.mask, props.allow, props.ignore]);
  const rules = useMemo(() => compileRules(document, { mask: props.mask, allow: props.allow, ignore: props.ignore }), [rulesKey]);
  const pagesQ = useQuery<string[]>(projectId + ':' + version, (signal) => snapshotPages(projectId, signal));
  const pages = pagesQ.data ?? [];
  const path = pages.includes(picked) ? picked : (pages[0] ?? '');
  const snapParams = { project_id: projectId, path };
  const snapQ = useQuery<Snapshot>(path ? JSON.stringify(snapParams) + version : null, (signal) => get<Snapshot>('/api/snapshot', snapParams, signal));
  useEffect(() => setView(null), [path]);

  const problems = (['mask', 'allow', 'ignore'] as ListName[]).map((n) => [n, listProblem(rules[n])] as const).filter(([, m]) => m);
  const snap = snapQ.data && !snapQ.loading ? snapQ.data : undefined;
  const none = html`<${Empty} title="No page snapshot yet" icon="camera">
    The preview draws on a page snapshot, and none has been captured for this project in the last ${DAYS} days. The snippet captures a masked
    snapshot of a page when a visitor stays on it for a few seconds: open a page of your site that has the snippet, wait a moment, then check again.
    <div class="row center"><button type="button" class="btn" onClick=${() => setVersion((n) => n + 1)}>Check again</button></div>
  <//>`;

  let stage;
  if (pagesQ.error) stage = html`<${ErrorPanel} error=${pagesQ.error} retry=${pagesQ.reload} what="The list of pages" />`;
  else if (!pagesQ.data) stage = html`<${Skeleton} lines=${6} height=${22} />`;
  else if (!path) stage = none;
  else if (snapQ.error?.status === 404 && !snapQ.error.missing) stage = none;
  else if (snapQ.error) stage = html`<${ErrorPanel} error=${snapQ.error} retry=${snapQ.reload} what="The page snapshot" />`;
  else if (!snap)
    stage = html`<p class="mp-loading" role="status"><${Spinner} label="Loading" /> Loading the snapshot of <code>${path}</code>…</p>
      <div class="mp-skeleton skeleton" aria-hidden="true"></div>`;
  else
    stage = html`<${PreviewFrame} key=${snap.url + '@' + snap.captured_at} snap=${snap} projectId=${projectId} width=${stageW}
      rules=${rules} rulesKey=${rulesKey} onView=${setView} />`;

  return html`<section class="mask-preview" aria-labelledby="mp-h">
    <h3 id="mp-h">Preview on a page</h3>
    <p class="muted small">What a recording of one of your pages would hide with the selectors above — as you edit them, before you save.</p>
    ${problems.map(([n, m]) => html`<p class="error-text small mp-problem" role="alert" data-list=${n}><strong>${LIST_LABEL[n]}:</strong> ${m}</p>`)}
    ${pages.length > 0 &&
    html`<div class="mp-head">
      <label class="select-wrap">Page
        <select value=${path} onChange=${(e: Event) => setPicked((e.target as HTMLSelectElement).value)}>
          ${pages.map((p) => html`<option value=${p}>${p}</option>`)}
        </select></label>
      <span class="mp-counts" role="status">${snap && view ? countsLine(view.counts) : ''}</span>
    </div>`}
    ${pages.length > 0 && html`<${Legend} />`}
    ${snap && view && html`<${Note} v=${view} />`}
    <div class=${'mp-stage' + (snap ? ' framed' : '')} ref=${stageRef}>${stage}</div>
  </section>`;
}
