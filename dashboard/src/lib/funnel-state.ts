// A funnel as the builder holds it, in the URL and as the API takes it (docs/api.md "Funnels").
// The URL keeps one readable parameter per field so a link is legible and reproduces the funnel:
//   s1=page&s1p=/pricing&s1m=prefix   step 1 (s1sel selector, s1h selector hash, s1e event name,
//                                     s1k/s1v property and value, s1l label, s1w=device:mobile
//                                     a filter ("where") on the step's event, repeated)
//   x1=event&x1e=cancel&x1f=1&x1t=3   exclusion 1 (the same fields, between steps f and t)
//   order=strict|any  unit=visitor  window=30m|2h|14d  by=device  fid=f_…  (defaults left out)
// Reading never throws: unknown values fall back to defaults. Pure functions (no DOM).

export type StepType = 'page_view' | 'click' | 'custom';
export type Match = 'equals' | 'prefix' | 'contains' | 'regex';
export type Order = 'sequential' | 'strict' | 'any_order';
export type Unit = 'session' | 'visitor';

export interface Step {
  type: StepType;
  path: string;
  match: Match;
  selector: string;
  /** 64-bit selector hash as a decimal string ('' = none) */
  hash: string;
  event: string;
  property: string;
  value: string;
  label: string;
  /** filters on the step's own event: [dimension, value] (docs/api.md: ≤ 10, one per dimension) */
  filters: Array<[string, string]>;
}

/** The dimensions a step may filter on (an event's own attributes; not entry_page, visitor_type). */
export const STEP_FILTERS: Array<[string, string]> = [
  ['device', 'Device'],
  ['country', 'Country'],
  ['browser', 'Browser'],
  ['os', 'Operating system'],
  ['referrer', 'Referrer domain'],
  ['utm_source', 'UTM source'],
  ['utm_medium', 'UTM medium'],
  ['utm_campaign', 'UTM campaign'],
];
export const MAX_STEP_FILTERS = 10;

export interface Exclusion extends Step {
  /** 1-based steps the exclusion lies between; 0 = the whole funnel (first / last step) */
  from: number;
  to: number;
}

export interface FunnelDef {
  steps: Step[];
  exclusions: Exclusion[];
  order: Order;
  unit: Unit;
  windowMs: number;
  /** breakdown dimension, '' = none */
  by: string;
  /** the saved funnel this definition came from ('' = unsaved) */
  fid: string;
}

export const MIN_STEPS = 2;
export const MAX_STEPS = 20;
export const MAX_EXCLUSIONS = 10;
export const DAY_MS = 86400000;
/** UX.md "Funnels": a conversion window of 7 days by default (the API's default too). */
export const DEFAULT_WINDOW_MS = 7 * DAY_MS;
export const MAX_WINDOW_MS = 90 * DAY_MS;
export const BREAKDOWNS: Array<[string, string]> = [
  ['', 'No breakdown'],
  ...STEP_FILTERS,
  ['page', 'Page'],
  ['entry_page', 'Entry page'],
  ['visitor_type', 'First or returning visitor'],
];

/**
 * How a breakdown value of the session attributes reads (docs/funnels.md "Breakdowns"):
 * visitor_type's "first" / "returning", and an entry page of a session without a page view in
 * the range. undefined: the value reads as on the Overview's lists.
 */
export function funnelValueLabel(dim: string, value: string): string | undefined {
  if (dim === 'visitor_type') return value === 'first' ? 'First visit' : value === 'returning' ? 'Returning visitor' : value;
  if (dim === 'entry_page' && value === '') return '(no page view in the range)';
  return undefined;
}
const MATCHES: Match[] = ['equals', 'prefix', 'contains', 'regex'];
const TYPE_URL: Record<StepType, string> = { page_view: 'page', click: 'click', custom: 'event' };
const MAX_TEXT = 512;

export function emptyStep(type: StepType = 'page_view'): Step {
  return { type, path: '', match: 'equals', selector: '', hash: '', event: '', property: '', value: '', label: '', filters: [] };
}

export function defaultFunnel(): FunnelDef {
  return { steps: [emptyStep(), emptyStep()], exclusions: [], order: 'sequential', unit: 'session', windowMs: DEFAULT_WINDOW_MS, by: '', fid: '' };
}

/** "30m", "2h", "7d" (the largest whole unit), or milliseconds when none fits. */
export function windowText(ms: number): string {
  for (const [u, n] of [['d', DAY_MS], ['h', 3600000], ['m', 60000], ['s', 1000]] as const) {
    if (ms > 0 && ms % n === 0) return ms / n + u;
  }
  return String(ms);
}

/** windowText's inverse (also plain milliseconds); undefined when it is not a window 0..90 days. */
export function parseWindow(text: string | null): number | undefined {
  if (text === null) return undefined;
  const m = /^(\d{1,10})(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60000, h: 3600000, d: DAY_MS }[(m[2] ?? 'ms') as 'ms'];
  const ms = Number(m[1]) * unit;
  return ms >= 0 && ms <= MAX_WINDOW_MS ? ms : undefined;
}

function text(q: URLSearchParams, key: string): string {
  return (q.get(key) ?? '').slice(0, MAX_TEXT);
}

function readStep(q: URLSearchParams, k: string): Step | undefined {
  const t = q.get(k);
  const type = (Object.keys(TYPE_URL) as StepType[]).find((x) => TYPE_URL[x] === t);
  if (!type) return undefined;
  const m = q.get(k + 'm') as Match;
  const hash = text(q, k + 'h');
  return {
    type,
    path: text(q, k + 'p'),
    match: MATCHES.includes(m) ? m : 'equals',
    selector: type === 'click' ? text(q, k + 'sel') : '',
    hash: type === 'click' && /^\d{1,20}$/.test(hash) ? hash : '',
    event: type === 'custom' ? text(q, k + 'e').slice(0, 128) : '',
    property: type === 'custom' ? text(q, k + 'k') : '',
    value: type === 'custom' ? text(q, k + 'v') : '',
    label: text(q, k + 'l').slice(0, 200),
    filters: readFilters(q.getAll(k + 'w')),
  };
}

/** "device:mobile" → ["device", "mobile"]: known dimensions, once each, at most MAX_STEP_FILTERS. */
function readFilters(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const f of raw) {
    const at = f.indexOf(':');
    const dim = at > 0 ? f.slice(0, at) : '';
    if (!STEP_FILTERS.some(([d]) => d === dim) || out.some(([d]) => d === dim) || out.length >= MAX_STEP_FILTERS) continue;
    out.push([dim, f.slice(at + 1, at + 1 + MAX_TEXT)]);
  }
  return out;
}

export function readFunnel(search: string | URLSearchParams): FunnelDef {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const d = defaultFunnel();
  const steps: Step[] = [];
  for (let i = 1; i <= MAX_STEPS; i++) {
    const s = readStep(q, 's' + i);
    if (!s) break;
    steps.push(s);
  }
  if (steps.length > 0) {
    while (steps.length < MIN_STEPS) steps.push(emptyStep());
    d.steps = steps;
  }
  for (let i = 1; i <= MAX_EXCLUSIONS; i++) {
    const s = readStep(q, 'x' + i);
    if (!s) break;
    const from = Number(q.get('x' + i + 'f') ?? 0);
    const to = Number(q.get('x' + i + 't') ?? 0);
    const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= d.steps.length;
    d.exclusions.push({ ...s, from: ok(from) ? from : 0, to: ok(to) ? to : 0 });
  }
  const order = q.get('order');
  d.order = order === 'strict' ? 'strict' : order === 'any' ? 'any_order' : 'sequential';
  d.unit = q.get('unit') === 'visitor' ? 'visitor' : 'session';
  d.windowMs = parseWindow(q.get('window')) ?? DEFAULT_WINDOW_MS;
  const by = q.get('by') ?? '';
  d.by = BREAKDOWNS.some(([v]) => v === by) ? by : '';
  const fid = q.get('fid') ?? '';
  d.fid = /^f_[0-9a-f]{1,38}$/.test(fid) ? fid : '';
  return d;
}

function writeStep(q: URLSearchParams, k: string, s: Step): void {
  q.set(k, TYPE_URL[s.type]);
  if (s.path) q.set(k + 'p', s.path);
  if (s.path && s.match !== 'equals') q.set(k + 'm', s.match);
  if (s.type === 'click') {
    if (s.selector) q.set(k + 'sel', s.selector);
    if (s.hash) q.set(k + 'h', s.hash);
  }
  if (s.type === 'custom') {
    if (s.event) q.set(k + 'e', s.event);
    if (s.property) q.set(k + 'k', s.property);
    if (s.property && s.value) q.set(k + 'v', s.value);
  }
  if (s.label) q.set(k + 'l', s.label);
  for (const [dim, v] of s.filters) q.append(k + 'w', dim + ':' + v);
}

/** The funnel's URL parameters (defaults left out), to append after the app's own. */
export function writeFunnel(d: FunnelDef): string {
  const q = new URLSearchParams();
  d.steps.forEach((s, i) => writeStep(q, 's' + (i + 1), s));
  d.exclusions.forEach((x, i) => {
    writeStep(q, 'x' + (i + 1), x);
    if (x.from) q.set('x' + (i + 1) + 'f', String(x.from));
    if (x.to) q.set('x' + (i + 1) + 't', String(x.to));
  });
  if (d.order !== 'sequential') q.set('order', d.order === 'any_order' ? 'any' : 'strict');
  if (d.unit !== 'session') q.set('unit', d.unit);
  if (d.windowMs !== DEFAULT_WINDOW_MS) q.set('window', windowText(d.windowMs));
  if (d.by) q.set('by', d.by);
  if (d.fid) q.set('fid', d.fid);
  return q.toString();
}

/** Whether a step says enough to be sent (the API's rules for its type). */
export function stepComplete(s: Step): boolean {
  if (s.type === 'page_view') return s.path.trim() !== '';
  if (s.type === 'click') return s.selector.trim() !== '' || s.hash !== '';
  return s.event.trim() !== '';
}

/** A step as the API takes it (only the fields its type uses). */
export function apiStep(s: Step): Record<string, string | Record<string, string>> {
  const o: Record<string, string | Record<string, string>> = { type: s.type };
  const path = s.path.trim();
  if (path) {
    o.path = path;
    if (s.match !== 'equals') o.match = s.match;
  }
  if (s.type === 'click') {
    if (s.selector.trim()) o.selector = s.selector.trim();
    if (s.hash) o.selector_hash = s.hash;
  }
  if (s.type === 'custom') {
    o.event = s.event.trim();
    if (s.property.trim()) {
      o.property = s.property.trim();
      o.value = s.value;
    }
  }
  if (s.label.trim()) o.label = s.label.trim();
  // a filter row whose value is not typed yet filters nothing
  const filters = s.filters.filter(([, v]) => v !== '');
  if (filters.length > 0) o.filters = Object.fromEntries(filters);
  return o;
}

export interface ApiDefinition {
  steps: Array<Record<string, string | Record<string, string>>>;
  exclusions: Array<Record<string, string | number | Record<string, string>>>;
  mode: Order;
  unit: Unit;
  window_ms: number;
  breakdown?: string;
}

/**
 * The definition the API takes, or why there is none yet: every step complete (at least two) and
 * every exclusion complete, between steps that exist.
 */
export function apiDefinition(d: FunnelDef): { def?: ApiDefinition; missing?: string } {
  if (d.steps.length < MIN_STEPS) return { missing: `A funnel needs at least ${MIN_STEPS} steps.` };
  const incomplete = d.steps.findIndex((s) => !stepComplete(s));
  if (incomplete >= 0) return { missing: `Step ${incomplete + 1} needs ${needs(d.steps[incomplete]!)}.` };
  const exclusions: ApiDefinition['exclusions'] = [];
  for (const [i, x] of d.exclusions.entries()) {
    if (!stepComplete(x)) return { missing: `Exclusion ${i + 1} needs ${needs(x)}.` };
    const from = x.from || 1;
    const to = x.to || d.steps.length;
    if (from >= to || to > d.steps.length) return { missing: `Exclusion ${i + 1} must lie between two different steps.` };
    exclusions.push({ ...apiStep(x), from_step: from, to_step: to });
  }
  const def: ApiDefinition = { steps: d.steps.map(apiStep), exclusions, mode: d.order, unit: d.unit, window_ms: d.windowMs };
  if (d.by) def.breakdown = d.by;
  return { def };
}

function needs(s: Step): string {
  if (s.type === 'page_view') return 'a page';
  if (s.type === 'click') return 'an element';
  return 'an event name';
}

/** A definition the API returned (a saved funnel) as the builder's state. */
export function fromApiDefinition(def: unknown, fid = ''): FunnelDef {
  const d = defaultFunnel();
  const o = (def ?? {}) as Partial<ApiDefinition> & { steps?: unknown[]; exclusions?: unknown[] };
  const step = (v: unknown): Step => {
    const r = (v ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : '');
    const type = (['page_view', 'click', 'custom'] as StepType[]).includes(r.type as StepType) ? (r.type as StepType) : 'page_view';
    const match = MATCHES.includes(r.match as Match) ? (r.match as Match) : 'equals';
    const f = r.filters && typeof r.filters === 'object' ? (r.filters as Record<string, unknown>) : {};
    const filters = readFilters(Object.entries(f).filter(([, v]) => typeof v === 'string').map(([k, v]) => k + ':' + (v as string)));
    return { type, path: str('path'), match, selector: str('selector'), hash: str('selector_hash'), event: str('event'), property: str('property'), value: str('value'), label: str('label'), filters };
  };
  if (Array.isArray(o.steps) && o.steps.length > 0) d.steps = o.steps.slice(0, MAX_STEPS).map(step);
  while (d.steps.length < MIN_STEPS) d.steps.push(emptyStep());
  if (Array.isArray(o.exclusions)) {
    d.exclusions = o.exclusions.slice(0, MAX_EXCLUSIONS).map((v) => {
      const r = (v ?? {}) as Record<string, unknown>;
      const n = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : 0);
      return { ...step(v), from: n('from_step'), to: n('to_step') };
    });
  }
  if (o.mode === 'strict' || o.mode === 'any_order') d.order = o.mode;
  if (o.unit === 'visitor') d.unit = 'visitor';
  if (typeof o.window_ms === 'number' && o.window_ms >= 0 && o.window_ms <= MAX_WINDOW_MS) d.windowMs = o.window_ms;
  if (typeof o.breakdown === 'string' && BREAKDOWNS.some(([v]) => v === o.breakdown)) d.by = o.breakdown;
  d.fid = fid;
  return d;
}

/** Moves the step at `from` to `to` (drag and drop, ↑/↓); exclusions keep the steps they named. */
export function moveStep(d: FunnelDef, from: number, to: number): FunnelDef {
  if (from === to || from < 0 || to < 0 || from >= d.steps.length || to >= d.steps.length) return d;
  const steps = d.steps.slice();
  const [s] = steps.splice(from, 1);
  steps.splice(to, 0, s!);
  // old 1-based position -> new one
  const order = d.steps.map((_, i) => i);
  const [o] = order.splice(from, 1);
  order.splice(to, 0, o!);
  const pos = (n: number) => (n === 0 ? 0 : order.indexOf(n - 1) + 1);
  const exclusions = d.exclusions.map((x) => {
    let f = pos(x.from);
    let t = pos(x.to);
    if (f && t && f > t) [f, t] = [t, f];
    return { ...x, from: f, to: t };
  });
  return { ...d, steps, exclusions };
}

/** Removes step `i`; exclusions that named it fall back to the whole funnel. */
export function removeStep(d: FunnelDef, i: number): FunnelDef {
  if (d.steps.length <= MIN_STEPS) return d;
  const steps = d.steps.filter((_, j) => j !== i);
  const n = i + 1;
  const exclusions = d.exclusions.map((x) => {
    const fix = (v: number) => (v === n ? 0 : v > n ? v - 1 : v);
    const f = fix(x.from);
    const t = fix(x.to);
    return { ...x, from: f, to: f && t && f >= t ? 0 : t };
  });
  return { ...d, steps, exclusions };
}

/** A short description of a step for labels and the CSV ("/pricing", "Click #buy", "signup"). */
export function stepText(s: Step): string {
  if (s.label.trim()) return s.label.trim();
  const path = s.match === 'prefix' ? s.path + '*' : s.match === 'contains' ? '*' + s.path + '*' : s.match === 'regex' ? '~' + s.path : s.path;
  // as the server names a step with filters: "/pricing [device = mobile]"
  const f = s.filters.length ? ' [' + s.filters.map(([d, v]) => `${d} = ${v}`).join(', ') + ']' : '';
  if (s.type === 'page_view') return (path || 'Any page') + f;
  if (s.type === 'click') return `Click ${s.selector || (s.hash ? 'element ' + s.hash : '…')}${s.path ? ' on ' + path : ''}` + f;
  return (s.event || 'Event') + (s.property ? ` (${s.property} = ${s.value})` : '') + (s.path ? ' on ' + path : '') + f;
}
