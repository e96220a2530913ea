// The root: checks the session, loads the projects, picks the project (URL, then the last one used,
// then the first), remembers the last period per project, handles the global keyboard shortcuts,
// and renders the page of the route.
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, get, setCsrf } from './api/client';
import type { Me, Project } from './api/types';
import { openCustomPicker, shiftRange } from './components/date-picker';
import { Shell, routeLabel } from './components/shell';
import { ErrorPanel, Skeleton } from './components/states';
import { html } from './html';
import { type DayRange, type Period, PERIODS, rangeOf, toDay } from './lib/dates';
import { type AppState, clearFilters, hasFilters } from './lib/url-state';
import { OverviewPage } from './pages/overview';
import { NoProjects, SignInPage } from './pages/signin';
import { Link } from './components/link';
import { navigate, onProjectsChanged, patch, recall, remember, state, useAppState } from './store';

// The heatmaps screen (viewer, overlay, layouts, element placement), the funnels screen
// (builder, results), the replays screen (list, player host) and Settings are chunks of their own, loaded
// when first opened: the overview, where most visits start, does not pay for them.
type PageProps = { s: AppState; project: Project; range: DayRange; now: number };
type PageComponent = (props: PageProps) => VNode | null;
const chunks = new Map<string, Promise<PageComponent>>();
const LOADERS: Record<string, () => Promise<PageComponent>> = {
  heatmaps: () => import('./pages/heatmaps').then((m) => m.HeatmapsPage as PageComponent),
  funnels: () => import('./pages/funnels').then((m) => m.FunnelsPage as PageComponent),
  replays: () => import('./pages/replays').then((m) => m.ReplaysPage as PageComponent),
  settings: () => import('./pages/settings').then((m) => m.SettingsPage as PageComponent),
};

function LazyPage(props: PageProps & { which: 'heatmaps' | 'funnels' | 'replays' | 'settings' }) {
  const [page, setPage] = useState<{ c: PageComponent } | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let chunk = chunks.get(props.which);
    if (!chunk) chunks.set(props.which, (chunk = LOADERS[props.which]!()));
    chunk.then((c) => setPage({ c }), () => {
      chunks.delete(props.which);
      setFailed(true);
    });
  }, [props.which]);
  if (failed) return html`<div class="page"><div class="card"><p class="state-text" role="alert">The ${props.which} screen could not be loaded. Reload the page to try again.</p></div></div>`;
  if (!page) return html`<div class="page"><div class="page-header"><${Skeleton} height=${28} /></div><div class="card"><${Skeleton} lines=${8} height=${24} /></div></div>`;
  const { which: _which, ...rest } = props;
  return html`<${page.c} ...${rest} />`;
}

type Boot = { kind: 'loading' } | { kind: 'signin' } | { kind: 'error'; error: ApiError } | { kind: 'ready'; projects: Project[] };

function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
}

export function App() {
  const s = useAppState();
  const [boot, setBoot] = useState<Boot>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    (async () => {
      try {
        const me = await get<Me>('/api/me', {});
        setCsrf(me.csrf);
        const { projects } = await get<{ projects: Project[] }>('/api/projects', {});
        setBoot({ kind: 'ready', projects });
      } catch (e) {
        const err = e as ApiError;
        setBoot(err.status === 401 ? { kind: 'signin' } : { kind: 'error', error: err });
      }
    })();
  }, [attempt]);

  // Settings creates, renames and deletes projects: load the list again, keeping the page
  useEffect(
    () =>
      onProjectsChanged(async () => {
        const { projects } = await get<{ projects: Project[] }>('/api/projects', {});
        setBoot({ kind: 'ready', projects });
      }),
    [],
  );

  // the day changes at UTC midnight: keep "today" current
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 60000);
    return () => clearInterval(t);
  }, []);

  const projects = boot.kind === 'ready' ? boot.projects : [];
  const project = projects.find((p) => p.id === s.project);

  // choose a project when the URL has none (or an unknown one); restore its last period
  useEffect(() => {
    if (boot.kind !== 'ready' || projects.length === 0 || project) return;
    const last = recall('project');
    const pick = projects.find((p) => p.id === last) ?? projects[0]!;
    const hasPeriod = new URLSearchParams(location.search).has('period') || new URLSearchParams(location.search).has('from');
    const period = !hasPeriod ? (recall('period.' + pick.id) as Period | null) : null;
    patch({ project: pick.id, ...(period && PERIODS.some((p) => p.id === period) ? { period } : {}) }, { replace: true });
  }, [boot.kind, s.project]);
  useEffect(() => {
    if (project) remember('project', project.id);
  }, [project?.id]);
  useEffect(() => {
    if (project && s.period !== 'custom') remember('period.' + project.id, s.period);
  }, [project?.id, s.period]);
  useEffect(() => {
    document.title = `${routeLabel(s.route)}${project ? ' · ' + project.name : ''} · Tapistry`;
  }, [s.route, project?.name]);

  const range = rangeOf(s.period, now, { from: s.from, to: s.to }, project ? toDay(project.created_ms || now) : undefined);

  // keyboard shortcuts (Plausible's): period letters, C custom, X compare, ←/→ shift, Esc clears filters
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey || typing(e.target)) return;
      const cur = state();
      if (e.key === 'Escape') {
        if (hasFilters(cur)) navigate(clearFilters(cur));
        return;
      }
      const focusOnControl = (e.target as HTMLElement)?.closest?.('button, a, [role="slider"], input, select');
      if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && !focusOnControl) {
        shiftRange(range, e.key === 'ArrowLeft' ? -1 : 1, now);
        return;
      }
      const k = e.key.toLowerCase();
      const p = PERIODS.find((x) => x.key === k);
      if (p) patch({ period: p.id, from: '', to: '' });
      else if (k === 'c') {
        e.preventDefault();
        openCustomPicker();
      } else if (k === 'x' && cur.route === 'overview') patch({ compare: !cur.compare });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [range.from, range.to, now]);

  if (boot.kind === 'signin') return html`<${SignInPage} />`;
  if (boot.kind === 'error')
    return html`<div class="center-page"><main class="card signin" id="main"><h1>Tapistry</h1>
      <${ErrorPanel} error=${boot.error} retry=${() => setAttempt((n) => n + 1)} what="The dashboard" /></main></div>`;
  if (boot.kind === 'ready' && projects.length === 0) return html`<${NoProjects} />`;
  if (boot.kind === 'loading' || !project) {
    return html`<${Shell} s=${s} projects=${projects}><div class="page"><div class="page-header"><${Skeleton} height=${28} /></div>
      <div class="card"><${Skeleton} lines=${6} height=${20} /></div></div></${Shell}>`;
  }
  let page;
  switch (s.route) {
    case 'overview':
      page = html`<${OverviewPage} s=${s} project=${project} range=${range} now=${now} demo=${projects.find((p) => p.demo && p.id !== project.id)} />`;
      break;
    case 'heatmaps':
    case 'funnels':
    case 'replays':
    case 'settings':
      page = html`<${LazyPage} key=${s.route} which=${s.route} s=${s} project=${project} range=${range} now=${now} />`;
      break;
    default:
      page = html`<div class="page"><div class="card state state-empty"><p class="state-title">There is no page at this address</p>
        <p class="state-text"><${Link} to=${{ ...s, route: 'overview' }}>Go to the overview<//></p></div></div>`;
  }
  return html`<${Shell} s=${s} projects=${projects}>${page}</${Shell}>`;
}
