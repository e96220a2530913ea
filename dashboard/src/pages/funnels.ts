// Funnels (issue 11; UX.md "Funnels"): a builder on the left — steps by page, click or custom
// event, picked from what was already captured (so a funnel needs no tagging and works on past
// data), dragged or moved with ↑/↓, exclusions, order, unit, window, breakdown, saved funnels —
// and on the right the results: Plausible's columns with the previous step as a ghost, PostHog's
// numbers in each column's tooltip, the steps and breakdown tables, and a CSV export. The whole
// definition lives in the URL (lib/funnel-state.ts), so a link reproduces the funnel.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type ApiError, get, post, scopeParams, send } from '../api/client';
import type { Elements, EventNames, FunnelMembers, FunnelResult, FunnelStepOut, Paths, Project, SavedFunnel } from '../api/types';
import { FilterBar } from '../components/filters';
import { Link } from '../components/link';
import { Icon } from '../components/icons';
import { rowLabel } from '../components/list-card';
import { PageHeader } from '../components/shell';
import { Empty, ErrorPanel, Skeleton, Spinner } from '../components/states';
import { type Query, useQuery } from '../hooks';
import { html } from '../html';
import type { DayRange } from '../lib/dates';
import { download, toCsv } from '../lib/csv';
import { day, exact, percent, range as fmtRange } from '../lib/format';
import { breakdownRows, convertBars, funnelCsv, overall, type StepRow, stepRows, stepTime, trendBars } from '../lib/funnel-math';
import {
  apiDefinition,
  BREAKDOWNS,
  DAY_MS,
  defaultFunnel,
  emptyStep,
  type Exclusion,
  type FunnelDef,
  fromApiDefinition,
  funnelValueLabel,
  type Match,
  MAX_EXCLUSIONS,
  MAX_STEPS,
  MAX_STEP_FILTERS,
  MIN_STEPS,
  moveStep,
  readFunnel,
  removeStep,
  type Step,
  type StepType,
  windowText,
  writeFunnel,
  STEP_FILTERS,
} from '../lib/funnel-state';
import type { Dimension } from '../api/types';
import type { AppState } from '../lib/url-state';
import { patch, recall, remember } from '../store';

const TYPES: Array<[StepType, string, string]> = [
  ['page_view', 'Page', 'A page view of a page'],
  ['click', 'Click', 'A click on an element people already clicked'],
  ['custom', 'Event', 'An event your site sends with tapistry.track()'],
];
const MATCH_LABEL: Record<Match, string> = { equals: 'is', prefix: 'starts with', contains: 'contains', regex: 'matches regex' };
const MATCH_TITLE = 'How the path is compared with the stored path (lowercase, no query string)';
const ORDERS: Array<[FunnelDef['order'], string, string]> = [
  ['sequential', 'Sequential', 'Steps in this order; other events may come between them'],
  ['strict', 'Strict', 'Steps in this order with no other page view, click or event between them'],
  ['any_order', 'Any order', 'Every step, in any order'],
];
const UNITS: Array<[FunnelDef['unit'], string, string]> = [
  ['session', 'Sessions', 'Each session goes through the funnel on its own'],
  ['visitor', 'Visitors', 'A visitor may complete the funnel across sessions and days'],
];
const WINDOWS = [5 * 60000, 30 * 60000, 3600000, DAY_MS, 7 * DAY_MS, 14 * DAY_MS, 30 * DAY_MS, 90 * DAY_MS];

function windowLabel(ms: number): string {
  const t = windowText(ms);
  const m = /^(\d+)([smhd])$/.exec(t);
  if (!m) return `${exact(ms)} ms`;
  const n = Number(m[1]);
  const unit = { s: 'second', m: 'minute', h: 'hour', d: 'day' }[m[2] as 's'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function Segmented<T extends string>(props: { label: string; value: T; options: Array<[T, string, string?]>; onChange(v: T): void; name: string }) {
  return html`<div class="segmented" role="radiogroup" aria-label=${props.label} data-name=${props.name}>
    ${props.options.map(
      ([v, label, title]) => html`<button type="button" role="radio" aria-checked=${props.value === v} class=${props.value === v ? 'on' : ''}
        title=${title} data-value=${v} onClick=${() => props.onChange(v)}>${label}</button>`,
    )}
  </div>`;
}

/** A text field that commits on Enter, on blur, and when a suggestion is picked from its list. */
function Field(props: { value: string; onCommit(v: string): void; list?: string; options?: string[]; placeholder?: string; label: string; name: string; mono?: boolean }) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  const commit = (v = text) => {
    if (v !== props.value) props.onCommit(v);
  };
  return html`<label class="ffield">
    <span class="sr-only">${props.label}</span>
    <input type="text" value=${text} list=${props.list} placeholder=${props.placeholder} spellcheck=${false} autocomplete="off"
      class=${props.mono ? 'mono' : ''} data-field=${props.name} aria-label=${props.label}
      onInput=${(e: Event) => {
        const v = (e.target as HTMLInputElement).value;
        setText(v);
        if (props.options?.includes(v)) commit(v);
      }}
      onKeyDown=${(e: KeyboardEvent) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          commit();
        }
      }}
      onBlur=${() => commit()} />
  </label>`;
}

interface Pickers {
  /** the read API's common parameters (project, range, bots) */
  scope: Record<string, string>;
  paths: string[];
  elements: Elements['elements'];
  events: EventNames['names'];
}

/** The fields of one step (or exclusion): those of its type, then its filters. */
function StepFields(props: { step: Step; id: string; pickers: Pickers; onChange(s: Step): void }) {
  return html`<${TypeFields} ...${props} /><${StepFilters} step=${props.step} id=${props.id} onChange=${props.onChange} />`;
}

const DEVICE_VALUES = ['desktop', 'mobile', 'tablet'];

/** Filters on the step's own event (device, country, browser, UTM, referrer): one row each. */
function StepFilters(props: { step: Step; id: string; onChange(s: Step): void }) {
  const { step: s } = props;
  const set = (filters: Array<[string, string]>) => props.onChange({ ...s, filters });
  const unused = STEP_FILTERS.filter(([d]) => !s.filters.some(([u]) => u === d));
  return html`<div class="ffilters">
    ${s.filters.map(
      ([dim, value], i) => html`<div class="frow ffilter" data-filter=${dim}>
        <span class="muted small">where</span>
        <label class="fsel"><span class="sr-only">Filter dimension</span>
          <select value=${dim} data-field="filter-dim" onChange=${(e: Event) => set(s.filters.map((f, j) => (j === i ? [(e.target as HTMLSelectElement).value, ''] : f)))}>
            ${STEP_FILTERS.filter(([d]) => d === dim || unused.some(([u]) => u === d)).map(([d, label]) => html`<option value=${d}>${label}</option>`)}
          </select></label>
        <span class="muted">is</span>
        <${Field} value=${value} list=${dim === 'device' ? props.id + '-devices' : undefined} options=${dim === 'device' ? DEVICE_VALUES : undefined}
          placeholder=${dim === 'device' ? 'mobile' : dim === 'country' ? 'DE' : 'value'} label=${'Value of ' + dim} name="filter-value"
          onCommit=${(v: string) => set(s.filters.map((f, j) => (j === i ? [f[0], dim === 'country' ? v.trim().toUpperCase() : v.trim()] : f)))} />
        <button type="button" class="btn btn-small btn-icon" aria-label=${'Remove the ' + dim + ' filter'} title="Remove filter"
          onClick=${() => set(s.filters.filter((_, j) => j !== i))}>✕</button>
      </div>`,
    )}
    ${s.filters.some(([d]) => d === 'device') && html`<datalist id=${props.id + '-devices'}>${DEVICE_VALUES.map((d) => html`<option value=${d} />`)}</datalist>`}
    ${unused.length > 0 && s.filters.length < MAX_STEP_FILTERS &&
    html`<button type="button" class="btn-link small add-filter" onClick=${() => set([...s.filters, [unused[0]![0], '']])}>+ Filter</button>`}
  </div>`;
}

/** The fields of one step (or exclusion) for its type. */
function TypeFields(props: { step: Step; id: string; pickers: Pickers; onChange(s: Step): void }) {
  const { step: s, id, pickers } = props;
  const set = (p: Partial<Step>) => props.onChange({ ...s, ...p });
  // a click step on one page offers that page's elements, else those of every page
  const onPage = s.type === 'click' && s.path && s.match === 'equals' ? { ...pickers.scope, path: s.path, limit: 50 } : null;
  const pageEls = useQuery<Elements>(onPage && JSON.stringify(onPage), (sig) => get<Elements>('/api/elements', onPage!, sig));
  const elements = (onPage && pageEls.data?.elements) || pickers.elements;
  const pathField = (optional: boolean) => html`<div class="frow">
    <span class="muted small">${optional ? 'on page' : 'Page'}</span>
    <label class="fsel" title=${MATCH_TITLE}><span class="sr-only">Path match</span>
      <select value=${s.match} onChange=${(e: Event) => set({ match: (e.target as HTMLSelectElement).value as Match })} data-field="match">
        ${(Object.keys(MATCH_LABEL) as Match[]).map((m) => html`<option value=${m}>${MATCH_LABEL[m]}</option>`)}
      </select></label>
    <${Field} value=${s.path} list="funnel-paths" options=${pickers.paths} placeholder=${optional ? 'any page' : '/pricing'} label="Page path" name="path"
      onCommit=${(v: string) => set({ path: v.trim() })} mono=${true} />
  </div>`;
  if (s.type === 'page_view') return pathField(false);
  if (s.type === 'click') {
    const listId = id + '-el';
    const options = elements.map((e) => e.selector || 'element ' + e.selector_hash);
    return html`<div class="frow">
        <${Field} value=${s.selector || (s.hash ? 'element ' + s.hash : '')} list=${listId} options=${options} placeholder="#buy, or pick a clicked element"
          label="Element" name="selector" mono=${true}
          onCommit=${(v: string) => {
            const t = v.trim();
            const picked = elements.find((e) => (e.selector || 'element ' + e.selector_hash) === t);
            const hash = /^element (\d{1,20})$/.exec(t);
            set(picked && !picked.selector ? { selector: '', hash: picked.selector_hash } : hash ? { selector: '', hash: hash[1]! } : { selector: t, hash: '' });
          }} />
        <datalist id=${listId}>${elements.map((e) => html`<option value=${e.selector || 'element ' + e.selector_hash}>${exact(e.clicks)} clicks${onPage ? ' on this page' : ''}</option>`)}</datalist>
      </div>${pathField(true)}`;
  }
  const ev = pickers.events.find((e) => e.name === s.event);
  const keys = ev?.properties.map((p) => p.key) ?? [];
  const values = ev?.properties.find((p) => p.key === s.property)?.values.map((v) => v.value) ?? [];
  return html`<div class="frow">
      <${Field} value=${s.event} list="funnel-events" options=${pickers.events.map((e) => e.name)} placeholder="signup" label="Event name" name="event"
        onCommit=${(v: string) => set({ event: v.trim(), property: '', value: '' })} />
    </div>
    <div class="frow">
      <${Field} value=${s.property} list=${id + '-keys'} options=${keys} placeholder="property (optional)" label="Property" name="property"
        onCommit=${(v: string) => set({ property: v.trim(), value: v.trim() ? s.value : '' })} />
      ${s.property && html`<span class="muted">=</span><${Field} value=${s.value} list=${id + '-values'} options=${values} placeholder="value" label="Property value" name="value"
        onCommit=${(v: string) => set({ value: v })} />`}
      <datalist id=${id + '-keys'}>${keys.map((k) => html`<option value=${k} />`)}</datalist>
      <datalist id=${id + '-values'}>${values.map((v) => html`<option value=${v} />`)}</datalist>
    </div>`;
}

function StepEditor(props: { step: Step; n: number; count: number; pickers: Pickers; onChange(s: Step): void; onMove(to: number): void; onRemove(): void;
  drag: { from: number | null; set(n: number | null): void } }) {
  const { step, n, count } = props;
  const li = useRef<HTMLLIElement>(null);
  const [over, setOver] = useState(false);
  return html`<li ref=${li} class=${'fstep' + (over ? ' over' : '')} data-step=${n}
    onDragOver=${(e: DragEvent) => {
      if (props.drag.from === null) return;
      e.preventDefault();
      setOver(true);
    }}
    onDragLeave=${() => setOver(false)}
    onDrop=${(e: DragEvent) => {
      e.preventDefault();
      setOver(false);
      if (props.drag.from !== null) props.onMove(n - 1);
      props.drag.set(null);
    }}>
    <div class="fstep-head">
      <span class="drag" draggable=${true} title="Drag to reorder" aria-hidden="true"
        onDragStart=${(e: DragEvent) => {
          props.drag.set(n - 1);
          e.dataTransfer?.setData('text/plain', String(n));
          if (li.current) e.dataTransfer?.setDragImage(li.current, 12, 12);
        }}
        onDragEnd=${() => props.drag.set(null)}>⠿</span>
      <span class="fstep-n">${n}</span>
      <${Segmented} label=${`Step ${n} type`} name="type" value=${step.type} options=${TYPES}
        onChange=${(t: StepType) => t !== step.type && props.onChange({ ...emptyStep(t), path: t === 'custom' ? '' : step.path, match: step.match })} />
      <span class="grow"></span>
      <button type="button" class="btn btn-small btn-icon" title="Move up" aria-label=${`Move step ${n} up`} disabled=${n === 1} onClick=${() => props.onMove(n - 2)}>↑</button>
      <button type="button" class="btn btn-small btn-icon" title="Move down" aria-label=${`Move step ${n} down`} disabled=${n === count} onClick=${() => props.onMove(n)}>↓</button>
      <button type="button" class="btn btn-small btn-icon" title=${count <= MIN_STEPS ? `A funnel has at least ${MIN_STEPS} steps` : 'Remove step'}
        aria-label=${`Remove step ${n}`} disabled=${count <= MIN_STEPS} onClick=${props.onRemove}><${Icon} name="close" size=${14} /></button>
    </div>
    <${StepFields} step=${step} id=${'s' + n} pickers=${props.pickers} onChange=${props.onChange} />
  </li>`;
}

function ExclusionEditor(props: { x: Exclusion; i: number; steps: number; pickers: Pickers; onChange(x: Exclusion): void; onRemove(): void }) {
  const { x, i, steps } = props;
  const from = x.from || 1;
  const to = x.to || steps;
  const stepSelect = (value: number, key: 'from' | 'to', label: string) => html`<label class="fsel"><span class="sr-only">${label}</span>
    <select value=${value} aria-label=${label} onChange=${(e: Event) => props.onChange({ ...x, [key]: Number((e.target as HTMLSelectElement).value) })}>
      ${Array.from({ length: steps }, (_, k) => html`<option value=${k + 1}>step ${k + 1}</option>`)}
    </select></label>`;
  return html`<li class="fstep fexcl" data-exclusion=${i + 1}>
    <div class="fstep-head">
      <span class="fstep-n x" aria-hidden="true">✕</span>
      <${Segmented} label=${`Exclusion ${i + 1} type`} name="type" value=${x.type} options=${TYPES}
        onChange=${(t: StepType) => props.onChange({ ...emptyStep(t), from: x.from, to: x.to })} />
      <span class="grow"></span>
      <button type="button" class="btn btn-small btn-icon" aria-label=${`Remove exclusion ${i + 1}`} title="Remove exclusion" onClick=${props.onRemove}><${Icon} name="close" size=${14} /></button>
    </div>
    <${StepFields} step=${x} id=${'x' + (i + 1)} pickers=${props.pickers} onChange=${(s: Step) => props.onChange({ ...x, ...s })} />
    <div class="frow muted small">between ${stepSelect(from, 'from', 'From step')} and ${stepSelect(to, 'to', 'To step')}
      ${from >= to && html`<span class="warn-text">pick two different steps, the first one earlier</span>`}</div>
  </li>`;
}

function SavedBar(props: { s: AppState; def: FunnelDef; saved?: SavedFunnel[]; reload(): void; complete: boolean }) {
  const { def, saved } = props;
  const current = saved?.find((f) => f.id === def.fid);
  const [name, setName] = useState(current?.name ?? '');
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => setName(current?.name ?? ''), [current?.id, current?.name]);
  const body = () => ({ project_id: props.s.project, name: name.trim() || 'Untitled funnel', definition: apiDefinition(def).def });
  const act = async (what: () => Promise<SavedFunnel | void>, done: string) => {
    setStatus(null);
    try {
      const f = await what();
      props.reload();
      if (f) patch({ fq: writeFunnel({ ...def, fid: f.id }) }, { replace: true });
      setStatus({ ok: true, text: done });
    } catch (e) {
      setStatus({ ok: false, text: (e as ApiError).message });
    }
  };
  const q = '?project_id=' + encodeURIComponent(props.s.project);
  return html`<div class="fsaved">
    <label class="select-wrap"><span class="sr-only">Saved funnels</span>
      <select value=${def.fid} data-field="saved" onChange=${(e: Event) => {
        const id = (e.target as HTMLSelectElement).value;
        const f = saved?.find((x) => x.id === id);
        patch({ fq: writeFunnel(f ? fromApiDefinition(f.definition, f.id) : { ...def, fid: '' }) });
      }}>
        <option value="">${saved?.length ? `Saved funnels (${saved.length})…` : 'No saved funnels yet'}</option>
        ${saved?.map((f) => html`<option value=${f.id}>${f.name}</option>`)}
      </select></label>
    <div class="frow">
      <label class="ffield"><span class="sr-only">Funnel name</span>
        <input type="text" value=${name} placeholder="Name this funnel" maxLength=${200} data-field="name" aria-label="Funnel name"
          onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></label>
      <button type="button" class="btn btn-small" disabled=${!props.complete} title=${props.complete ? '' : 'Complete the steps first'}
        onClick=${() => act(() => (current ? send<SavedFunnel>('PUT', `/api/funnels/${current.id}${q}`, body()) : post<SavedFunnel>('/api/funnels' + q, body())), 'Saved')}>
        ${current ? 'Save changes' : 'Save'}</button>
      ${current && html`<button type="button" class="btn btn-small" disabled=${!props.complete}
        onClick=${() => act(() => post<SavedFunnel>('/api/funnels' + q, body()), 'Saved as a new funnel')}>Save as new</button>
        <button type="button" class="btn btn-small" onClick=${() => {
          if (!confirm(`Delete the saved funnel “${current.name}”? The steps stay on this page.`)) return;
          act(async () => {
            await send<void>('DELETE', `/api/funnels/${current.id}${q}`);
            patch({ fq: writeFunnel({ ...def, fid: '' }) }, { replace: true });
          }, 'Deleted');
        }}>Delete</button>`}
    </div>
    ${status && html`<p class=${'small ' + (status.ok ? 'ok' : 'error-text')} role="status">${status.text}</p>`}
  </div>`;
}

function Builder(props: { s: AppState; def: FunnelDef; pickers: Pickers; saved?: SavedFunnel[]; reloadSaved(): void; onChange(d: FunnelDef): void; complete: boolean }) {
  const { def, pickers } = props;
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  const set = (p: Partial<FunnelDef>) => props.onChange({ ...def, ...p });
  const windows = WINDOWS.includes(def.windowMs) ? WINDOWS : [...WINDOWS, def.windowMs].sort((a, b) => a - b);
  return html`<section class="card fbuilder" aria-labelledby="builder-h">
    <div class="card-head"><h2 id="builder-h">Funnel</h2>
      <button type="button" class="btn-link small" onClick=${() => props.onChange(defaultFunnel())}>Start over</button></div>
    <${SavedBar} s=${props.s} def=${def} saved=${props.saved} reload=${props.reloadSaved} complete=${props.complete} />
    <datalist id="funnel-paths">${pickers.paths.map((p) => html`<option value=${p} />`)}</datalist>
    <datalist id="funnel-events">${pickers.events.map((e) => html`<option value=${e.name}>${exact(e.events)} events</option>`)}</datalist>
    <h3>Steps</h3>
    <ol class="fsteps">
      ${def.steps.map(
        (st, i) => html`<${StepEditor} key=${i} step=${st} n=${i + 1} count=${def.steps.length} pickers=${pickers}
          drag=${{ from: dragFrom, set: setDragFrom }}
          onChange=${(ns: Step) => set({ steps: def.steps.map((x, j) => (j === i ? ns : x)) })}
          onMove=${(to: number) => props.onChange(moveStep(def, dragFrom ?? i, to))}
          onRemove=${() => props.onChange(removeStep(def, i))} />`,
      )}
    </ol>
    <button type="button" class="btn btn-small" disabled=${def.steps.length >= MAX_STEPS} onClick=${() => set({ steps: [...def.steps, emptyStep()] })}>+ Add step</button>
    <h3>Options</h3>
    <div class="fopts">
      <div class="fopt"><span class="muted">Order</span><${Segmented} label="Order" name="order" value=${def.order} options=${ORDERS} onChange=${(o: FunnelDef['order']) => set({ order: o })} /></div>
      <div class="fopt"><span class="muted">Count</span><${Segmented} label="Count" name="unit" value=${def.unit}
        options=${UNITS}
        onChange=${(u: FunnelDef['unit']) => set({ unit: u })} /></div>
      <label class="fopt"><span class="muted">Within</span>
        <select value=${def.windowMs} data-field="window" onChange=${(e: Event) => set({ windowMs: Number((e.target as HTMLSelectElement).value) })}>
          ${windows.map((w) => html`<option value=${w}>${windowLabel(w)} of step 1</option>`)}
        </select></label>
      <label class="fopt"><span class="muted">Breakdown</span>
        <select value=${def.by} data-field="breakdown" onChange=${(e: Event) => set({ by: (e.target as HTMLSelectElement).value })}>
          ${BREAKDOWNS.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
        </select></label>
    </div>
    <h3>Exclusions</h3>
    ${def.exclusions.length === 0 && html`<p class="muted small">Leave out ${def.unit}s that do something between two steps — a visit to the help page, a “cancel” event.</p>`}
    <ol class="fsteps">
      ${def.exclusions.map(
        (x, i) => html`<${ExclusionEditor} key=${i} x=${x} i=${i} steps=${def.steps.length} pickers=${pickers}
          onChange=${(nx: Exclusion) => set({ exclusions: def.exclusions.map((y, j) => (j === i ? nx : y)) })}
          onRemove=${() => set({ exclusions: def.exclusions.filter((_, j) => j !== i) })} />`,
      )}
    </ol>
    <button type="button" class="btn btn-small" disabled=${def.exclusions.length >= MAX_EXCLUSIONS}
      onClick=${() => set({ exclusions: [...def.exclusions, { ...emptyStep(), from: 0, to: 0 }] })}>+ Add exclusion</button>
  </section>`;
}

function unitWord(unit: string, n: number): string {
  return unit + (n === 1 ? '' : 's');
}

function stepTitle(r: StepRow, unit: string): string {
  if (r.n === 1) return `${exact(r.units)} ${unitWord(unit, r.units)} entered the funnel`;
  return `${exact(r.units)} ${unitWord(unit, r.units)} converted, ${exact(r.dropped)} dropped off\n` +
    `${percent(r.fromPrev)} of the previous step, ${percent(r.fromFirst)} of step 1\n` +
    `Time from the previous step: median ${stepTime(r.medianMs)}, 90% within ${stepTime(r.p90Ms)}, average ${stepTime(r.avgMs)}`;
}

function Columns(props: { rows: StepRow[]; unit: string; dim: boolean; who: number | null; onWho(furthest: number): void }) {
  const last = props.rows.length;
  return html`<div class=${'fcols' + (props.dim ? ' dim' : '')} role="list" aria-label="Funnel steps">
    ${props.rows.map(
      (r) => html`<div class="fcol" role="listitem" data-step=${r.n} data-units=${r.units} title=${stepTitle(r, props.unit)}>
        <div class="fcol-name"><span class="fstep-n">${r.n}</span><span class="fcol-label">${r.name}</span></div>
        <div class="fcol-pct">${r.n === 1 ? (r.units ? '100%' : '–') : percent(r.fromFirst)}</div>
        <div class="fcol-units">${r.n === last && r.n > 1 && r.units > 0
          ? html`<button type="button" class=${'btn-link fwho' + (props.who === last ? ' on' : '')} title=${`List the ${unitWord(props.unit, 2)} that converted`}
              onClick=${() => props.onWho(last)}><strong>${exact(r.units)}</strong> ${unitWord(props.unit, r.units)}</button>`
          : html`<strong>${exact(r.units)}</strong> ${unitWord(props.unit, r.units)}`}</div>
        <div class="fbar-box" aria-hidden="true">
          ${r.n > 1 && html`<div class="fbar ghost" style=${{ height: r.ghost * 100 + '%' }}></div>`}
          <div class="fbar" style=${{ height: r.units ? `max(8px, ${r.bar * 100}%)` : '0' }}></div>
        </div>
        ${r.n > 1
          ? html`<div class="fpill"><span title="Converted from the previous step">→ ${percent(r.fromPrev)}</span>
              ${r.dropped > 0
                ? html`<button type="button" class=${'drop fwho' + (props.who === r.n - 1 ? ' on' : '')} data-furthest=${r.n - 1}
                    title=${`${exact(r.dropped)} ${unitWord(props.unit, r.dropped)} reached step ${r.n - 1} but not this one: list them`}
                    onClick=${() => props.onWho(r.n - 1)}>↓ ${exact(r.dropped)}</button>`
                : html`<span class="drop">↓ 0</span>`}</div>
            <div class="muted small">median ${stepTime(r.medianMs)} · p90 ${stepTime(r.p90Ms)}</div>`
          : html`<div class="fpill muted">entered</div><div class="muted small"> </div>`}
      </div>`,
    )}
  </div>`;
}

function StepsTable(props: { rows: StepRow[]; unit: string }) {
  return html`<table class="ftable" data-table="steps">
    <thead><tr><th scope="col">Step</th><th scope="col" class="num">${props.unit[0]!.toUpperCase() + props.unit.slice(1)}s</th>
      <th scope="col" class="num">From previous</th><th scope="col" class="num">From step 1</th><th scope="col" class="num">Dropped</th>
      <th scope="col" class="num" title="Median time from the previous step">Median</th><th scope="col" class="num" title="90% of the ${props.unit}s took at most this long from the previous step">P90</th><th scope="col" class="num" title="Average time from the previous step">Average</th></tr></thead>
    <tbody>${props.rows.map(
      (r) => html`<tr data-step=${r.n}><td><span class="fstep-n">${r.n}</span> ${r.name}</td><td class="num" data-col="units">${exact(r.units)}</td>
        <td class="num">${r.n === 1 ? '–' : percent(r.fromPrev)}</td><td class="num">${percent(r.fromFirst)}</td>
        <td class="num">${r.n === 1 ? '–' : exact(r.dropped)}</td><td class="num">${r.n === 1 ? '–' : stepTime(r.medianMs)}</td>
        <td class="num" data-col="p90">${r.n === 1 ? '–' : stepTime(r.p90Ms)}</td>
        <td class="num">${r.n === 1 ? '–' : stepTime(r.avgMs)}</td></tr>`,
    )}</tbody>
  </table>`;
}

function ConvertHistogram(props: { buckets: FunnelResult['time_to_convert']; unit: string; converted: number; steps: number }) {
  if (props.steps < 2) return null;
  const bars = convertBars(props.buckets);
  return html`<figure class="fchart" data-chart="time-to-convert">
    <figcaption><h3>Time to convert</h3><span class="muted small">from step 1 to step ${props.steps}, ${exact(props.converted)} ${unitWord(props.unit, props.converted)}</span></figcaption>
    ${props.converted === 0
      ? html`<p class="muted small">No ${props.unit} reached the last step in this range.</p>`
      : html`<div class="fhist" role="list">${bars.map(
          (b) => html`<div class="fhist-col" role="listitem" data-units=${b.units} title=${`${b.label}: ${exact(b.units)} ${unitWord(props.unit, b.units)} (${percent(b.share)})`}>
            <div class="fhist-box"><div class="fhist-bar" style=${{ height: b.units ? `max(3px, ${b.bar * 100}%)` : '0' }}></div></div>
            <div class="fhist-label small muted">${b.label}</div></div>`,
        )}</div>`}
  </figure>`;
}

function TrendBars(props: { days: FunnelResult['trend']; unit: string }) {
  if (props.days.length < 2) return null;
  const bars = trendBars(props.days);
  return html`<figure class="fchart" data-chart="trend">
    <figcaption><h3>Conversion by day entered</h3><span class="muted small">overall conversion of the ${props.unit}s that entered each day (UTC)</span></figcaption>
    <div class="ftrend" role="list">${bars.map(
      (d) => html`<div class="ftrend-col" role="listitem" data-date=${d.date} data-entered=${d.entered} data-converted=${d.converted}
        title=${d.entered ? `${day(d.date)}: ${percent(d.conversion)} · ${exact(d.converted)} of ${exact(d.entered)} ${unitWord(props.unit, d.entered)}` : `${day(d.date)}: nobody entered`}>
        <div class="ftrend-box"><div class=${'ftrend-bar' + (d.entered ? '' : ' none')} style=${{ height: d.entered ? `max(2px, ${d.bar * 100}%)` : '0' }}></div></div>
      </div>`,
    )}</div>
    <div class="ftrend-axis small muted"><span>${day(bars[0]!.date)}</span><span>${day(bars[bars.length - 1]!.date)}</span></div>
  </figure>`;
}

function BreakdownTable(props: { dim: string; rows: ReturnType<typeof breakdownRows>; steps: number; unit: string }) {
  const label = BREAKDOWNS.find(([v]) => v === props.dim)?.[1] ?? props.dim;
  if (props.rows.length === 0) return html`<p class="muted">No ${props.unit}s to break down.</p>`;
  return html`<div class="ftable-wrap"><table class="ftable" data-table="breakdown">
    <thead><tr><th scope="col">${label}</th>${Array.from({ length: props.steps }, (_, i) => html`<th scope="col" class="num">Step ${i + 1}</th>`)}
      <th scope="col" class="num">Conversion</th></tr></thead>
    <tbody>${props.rows.map(
      (r) => html`<tr data-value=${r.value}><td>${funnelValueLabel(props.dim, r.value) ?? rowLabel(props.dim as Dimension, r.value)}</td>
        ${r.steps.map((st) => html`<td class="num" title=${st.n > 1 ? `${percent(st.fromPrev)} of the previous step` : ''}>${exact(st.units)}${st.n > 1 && html`<span class="muted small"> ${percent(st.fromFirst)}</span>`}</td>`)}
        <td class="num"><strong>${percent(r.overall)}</strong></td></tr>`,
    )}</tbody>
  </table></div>`;
}

function utc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Who is behind a bar: the units that reached step `furthest` and not the next (or converted). */
function Members(props: { s: AppState; body: object; furthest: number; steps: number; unit: string; names: string[]; onClose(): void }) {
  const { furthest: k, unit } = props;
  const path = `/api/funnels/members?project_id=${encodeURIComponent(props.s.project)}&furthest=${k}&limit=100`;
  const q = useQuery<FunnelMembers>(JSON.stringify([props.body, k]), (sig) => post<FunnelMembers>(path, props.body, sig));
  const converted = k === props.steps;
  const title = converted
    ? `${unitWord(unit, 2)[0]!.toUpperCase() + unitWord(unit, 2).slice(1)} that converted`
    : `Reached step ${k} (${props.names[k - 1] ?? ''}) and not step ${k + 1}`;
  const d = q.data;
  const visitors = unit === 'visitor';
  const exportCsv = () =>
    d && download(`funnel-${converted ? 'converted' : 'dropped-after-step-' + k}.csv`,
      toCsv([...(visitors ? ['visitor'] : []), 'session', 'entered (UTC)', 'reached (UTC)', 'device', 'country', 'recorded'],
        d.members.map((m) => [...(visitors ? [m.anonymous_id] : []), m.session_id, utc(m.entered_ms), utc(m.reached_ms), m.device, m.country, m.recorded ? 'yes' : 'no'])), 'text/csv');
  const recorded = d ? d.members.filter((m) => m.recorded).length : 0;
  return html`<section class="fmembers" aria-labelledby="members-h" data-furthest=${k}>
    <div class="card-head"><h3 id="members-h">${title}</h3>
      <span class="row-end">${d && d.members.length > 0 && html`<button type="button" class="btn btn-small" onClick=${exportCsv}><${Icon} name="download" size=${14} />CSV</button>`}
        <button type="button" class="btn btn-small" onClick=${props.onClose}>Close</button></span></div>
    ${q.error
      ? html`<${ErrorPanel} error=${q.error} retry=${q.reload} what="This list" />`
      : !d
        ? html`<${Skeleton} lines=${4} height=${18} />`
        : d.total === 0
          ? html`<p class="muted">No ${unitWord(unit, 2)} here.</p>`
          : html`<p class="muted small">${d.total > d.members.length ? `The ${exact(d.members.length)} latest of ${exact(d.total)} ${unitWord(unit, d.total)}` : `${exact(d.total)} ${unitWord(unit, d.total)}`}, the latest first.
              ${recorded > 0 ? ` ${exact(recorded)} of them recorded: play one from its row.` : ' None of these sessions was recorded (Settings → Session replay sets how many are).'}</p>
            <div class="ftable-wrap"><table class="ftable" data-table="members">
              <thead><tr>${visitors && html`<th scope="col">Visitor</th>`}<th scope="col">Session</th><th scope="col">Entered (UTC)</th>
                <th scope="col" class="num">${converted ? 'Time to convert' : 'Time in funnel'}</th><th scope="col">Device</th><th scope="col">Country</th><th scope="col">Replay</th></tr></thead>
              <tbody>${d.members.map(
                (m) => html`<tr data-session=${m.session_id}>${visitors && html`<td><code title=${m.anonymous_id}>${m.anonymous_id?.slice(0, 8)}</code></td>`}
                  <td><code title=${m.session_id}>${m.session_id.slice(0, 8)}</code></td><td>${utc(m.entered_ms)}</td>
                  <td class="num">${stepTime(m.reached_ms - m.entered_ms)}</td><td>${rowLabel('device', m.device)}</td><td>${rowLabel('country', m.country)}</td>
                  <td>${m.recorded
                    ? html`<${Link} to=${{ ...props.s, route: 'replays', session: m.session_id, t: 0 }} class="btn btn-small replay-link" label=${'Play the session ' + m.session_id.slice(0, 8)}>Play<//>`
                    : html`<span class="muted small">not recorded</span>`}</td></tr>`,
              )}</tbody></table></div>`}
  </section>`;
}

function Results(props: { def: FunnelDef; rangeLabel: string; missing?: string; q: Query<FunnelResult>; range: DayRange; onTopPages?: () => void;
  s: AppState; body: object | null }) {
  const { def, q } = props;
  const unit = def.unit;
  // the bar whose units are listed; another funnel closes the list
  const [who, setWho] = useState<number | null>(null);
  const bodyKey = JSON.stringify(props.body);
  useEffect(() => setWho(null), [bodyKey]);
  if (props.missing) {
    return html`<section class="card fresults"><${Empty} title="Build your funnel" icon="funnels">
      <p>${props.missing}</p>
      <p>Start with the page most ${unit}s land on, then the pages, clicks or events that lead to the goal. Steps are matched on what was
        already recorded — no tagging needed, and the numbers cover past days too.</p>
      ${props.onTopPages && html`<button type="button" class="btn" onClick=${props.onTopPages}>Start from my top two pages</button>`}
    </${Empty}></section>`;
  }
  // (an error is shown even over an older answer: that answer was for another funnel)
  if (q.error?.status === 400) {
    // the definition itself is refused: retrying cannot help, changing the step named can
    return html`<section class="card fresults"><div class="state state-error" role="alert">
      <p class="state-title">This funnel can't be counted</p>
      <p class="state-text">${q.error.message}</p>
      <p class="state-text muted">Change that field in the builder; the results follow.</p></div></section>`;
  }
  if (q.error) return html`<section class="card fresults"><${ErrorPanel} error=${q.error} retry=${q.reload} what="This funnel" /></section>`;
  const d = q.data;
  if (!d) {
    return html`<section class="card fresults" aria-busy="true"><div class="card-head"><${Skeleton} height=${20} /></div>
      <div class="fcols">${def.steps.map(() => html`<div class="fcol"><${Skeleton} lines=${3} /><div class="fbar-box skeleton"></div></div>`)}</div>
      ${q.slow && html`<${Spinner} label="Counting" />`}</section>`;
  }
  const names = d.steps.map((st: FunnelStepOut) => st.name ?? '');
  const rows = stepRows(d.steps, names);
  const dim = Object.keys(d.breakdowns)[0] ?? '';
  const bd = dim ? breakdownRows(d.breakdowns[dim]!) : [];
  const mode = ORDERS.find(([m]) => m === d.mode);
  const exportCsv = () => download(`funnel-${d.from}-${d.to}.csv`, funnelCsv(d.steps, names, dim, d.breakdowns[dim] ?? []), 'text/csv');
  return html`<section class="card fresults" aria-labelledby="results-h" aria-busy=${q.loading}>
    <div class="card-head">
      <h2 id="results-h">${d.steps.length}-step funnel <span class="muted">· <span title=${mode?.[2]}>${mode?.[1]}</span> · ${unit}s · within ${windowLabel(d.window_ms)}</span></h2>
      <span class="row-end">${q.loading && q.slow && html`<${Spinner} label="Counting" />`}
        <button type="button" class="btn btn-small" onClick=${exportCsv}><${Icon} name="download" size=${14} />Export CSV</button></span>
    </div>
    ${d.entered === 0
      ? html`<${Empty} title=${`No ${unit}s entered step 1 in ${props.rangeLabel}`}>
          <p>Step 1 is “${names[0]}”. Pick it from the suggestions (paths are stored lowercase, without query strings), or try a longer range.</p></${Empty}>`
      : html`<p class="fsummary" data-overall=${overall(d.steps)}>Overall conversion <strong>${percent(overall(d.steps))}</strong>${' · '}${exact(d.converted)} of ${exact(d.entered)} ${unitWord(unit, d.entered)}${' · '}${props.rangeLabel}${d.excluded_units > 0 && html`${' · '}<span title="Left out by an exclusion">${exact(d.excluded_units)} excluded</span>`}</p>
        <${Columns} rows=${rows} unit=${unit} dim=${q.loading} who=${who} onWho=${(k: number) => setWho(who === k ? null : k)} />
        ${who !== null && props.body && html`<${Members} key=${who} s=${props.s} body=${props.body} furthest=${who} steps=${d.steps.length} unit=${unit} names=${names}
          onClose=${() => setWho(null)} />`}
        <h3>Steps</h3>
        <div class="ftable-wrap"><${StepsTable} rows=${rows} unit=${unit} /></div>
        <div class="fcharts">
          <${ConvertHistogram} buckets=${d.time_to_convert ?? []} unit=${unit} converted=${d.converted} steps=${d.steps.length} />
          <${TrendBars} days=${d.trend ?? []} unit=${unit} />
        </div>
        ${dim && html`<h3>By ${(BREAKDOWNS.find(([v]) => v === dim)?.[1] ?? dim).toLowerCase()}</h3>
          <${BreakdownTable} dim=${dim} rows=${bd} steps=${d.steps.length} unit=${unit} />
          ${bd.length >= 25 && html`<p class="muted small">The 25 values with the most ${unit}s.</p>`}`}
        <p class="muted small">A ${unit} counts when its step-1 event lies in the range; later steps are followed for the whole window, even past the range's end. Times are UTC.</p>`}
  </section>`;
}

export function FunnelsPage(props: { s: AppState; project: Project; range: DayRange; now: number }) {
  const { s, range } = props;
  const scope = scopeParams({ project: s.project, range, bots: s.bots });
  // No funnel in the URL: the last one of this project, else two empty steps.
  useEffect(() => {
    if (s.fq) return;
    const last = recall('funnel.' + s.project);
    patch({ fq: last || writeFunnel(defaultFunnel()) }, { replace: true });
  }, [s.fq, s.project]);
  const def = useMemo(() => readFunnel(s.fq), [s.fq]);
  useEffect(() => {
    if (s.fq) remember('funnel.' + s.project, s.fq);
  }, [s.fq, s.project]);
  const onChange = (d: FunnelDef) => patch({ fq: writeFunnel(d) });

  const pathsP = { ...scope, limit: 100 };
  const pathsQ = useQuery<Paths>(JSON.stringify(pathsP), (sig) => get<Paths>('/api/paths', pathsP, sig));
  const elP = { ...scope, limit: 50 };
  const elQ = useQuery<Elements>(JSON.stringify(elP), (sig) => get<Elements>('/api/elements', elP, sig));
  const evP = { ...scope, limit: 100 };
  const evQ = useQuery<EventNames>(JSON.stringify(evP), (sig) => get<EventNames>('/api/event-names', evP, sig));
  const savedP = { project_id: s.project };
  const savedQ = useQuery<{ funnels: SavedFunnel[] }>(JSON.stringify(savedP), (sig) => get<{ funnels: SavedFunnel[] }>('/api/funnels', savedP, sig));
  const pickers: Pickers = {
    scope,
    paths: pathsQ.data?.paths.map((p) => p.path) ?? [],
    elements: elQ.data?.elements ?? [],
    events: evQ.data?.names ?? [],
  };

  const { def: apiDef, missing } = apiDefinition(def);
  const body = apiDef ? { project_id: s.project, from: range.from, to: range.to, definition: apiDef, ...(s.bots === 'include' ? { bots: 'include' } : {}) } : null;
  const q = useQuery<FunnelResult>(body ? JSON.stringify(body) : null, (sig) => post<FunnelResult>('/api/funnels/query', body, sig));
  const rangeLabel = fmtRange(range.from, range.to) + ' (UTC)';
  const empty = def.steps.every((st) => !st.path && !st.selector && !st.hash && !st.event);
  const top = pathsQ.data?.paths ?? [];
  const onTopPages = empty && top.length >= 2 ? () => onChange({ ...def, steps: [0, 1].map((i) => ({ ...emptyStep(), path: top[i]!.path })) }) : undefined;

  return html`<div class="page funnels-page">
    <${PageHeader} title="Funnels" sub=${html`<span class="muted">Where ${def.unit}s drop off between the steps that matter</span>`}>
      <${FilterBar} s=${s} range=${range} now=${props.now} layoutFilters=${false} />
    </${PageHeader}>
    ${pathsQ.data && top.length === 0 && html`<p class="note">No page views in ${rangeLabel} yet. Funnels count what the snippet already recorded: once visits arrive, pick their pages here.</p>`}
    <div class="fgrid">
      <${Builder} s=${s} def=${def} pickers=${pickers} saved=${savedQ.data?.funnels} reloadSaved=${savedQ.reload} onChange=${onChange} complete=${!!apiDef} />
      <${Results} def=${def} rangeLabel=${rangeLabel} missing=${missing} q=${q} range=${range} onTopPages=${onTopPages} s=${s} body=${body} />
    </div>
  </div>`;
}
