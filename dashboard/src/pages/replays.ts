// Replays (issue 10; UX.md "Replays"): the project's recorded sessions for the period, newest
// first, and — when the URL names a session — the player (replay-player.ts). The list reads
// GET /api/replays, filtered by the shared filters: a page visited (`path`, the Overview's page
// filter), a clicked element (`el`, from a heatmap's element list), the device, bots; a row opens
// the player. The index does not count pages or clicks per session yet, so the list shows what it
// has: start, duration, events, size, truncation.
import { get } from '../api/client';
import type { Project, ReplaySession } from '../api/types';
import { FilterBar } from '../components/filters';
import { Link } from '../components/link';
import { PageHeader } from '../components/shell';
import { Empty, ErrorPanel, Skeleton, Spinner } from '../components/states';
import { useQuery } from '../hooks';
import { html } from '../html';
import { type DayRange, dayMs } from '../lib/dates';
import { duration, exact } from '../lib/format';
import { type AppState, REPLAY_SORTS, type ReplaySort } from '../lib/url-state';
import { patch } from '../store';

const SORT_LABEL: Record<ReplaySort, string> = { newest: 'Newest first', longest: 'Longest first', largest: 'Largest first' };
import { ReplayPlayer } from './replay-player';

const kb = (n: number) => (n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 1048576).toFixed(1)} MB`);
const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export function ReplaysPage(props: { s: AppState; project: Project; range: DayRange; now: number }) {
  const { s, project, range } = props;
  if (s.session) return html`<${ReplayPlayer} s=${s} project=${project} />`;
  const from = dayMs(range.from);
  const to = dayMs(range.to) + 86400000 - 1;
  const filters: Record<string, string> = {};
  if (s.path) filters.path = s.path;
  if (s.el) filters.selector = s.el;
  if (s.device) filters.device = s.device;
  if (s.bots) filters.bots = s.bots;
  const filtered = Object.keys(filters).some((k) => k !== 'bots');
  const sort = s.sort !== 'newest' ? { sort: s.sort } : {};
  const q = useQuery<{ sessions: ReplaySession[] }>(`${project.id}|${from}|${to}|${JSON.stringify(filters)}|${s.sort}`, (signal) =>
    get('/api/replays', { project_id: project.id, from, to, limit: 200, ...filters, ...sort }, signal),
  );
  const sessions = q.data?.sessions ?? [];
  let body;
  if (q.error) body = html`<${ErrorPanel} error=${q.error} retry=${q.reload} what="The replays" />`;
  else if (!q.data) body = html`<div aria-busy="true">${q.slow && html`<${Spinner} label="Loading replays" />`}<${Skeleton} lines=${8} height=${32} /></div>`;
  else if (sessions.length === 0 && filtered)
    body = html`<${Empty} title="No recorded session matches these filters" icon="replays">
      <p>None of the sessions recorded in this period ${[s.path && `visited ${s.path}`, s.el && `clicked ${s.el}`, s.device && `ran on ${s.device}`].filter(Boolean).join(' and ')}.
        Only a share of sessions is recorded (Settings → Session replay); remove a filter above or pick a longer period.</p>
    </${Empty}>`;
  else if (sessions.length === 0)
    body = html`<${Empty} title="No recorded sessions in this period" icon="replays">
      <p>Replays are recorded by the snippet for a sampled share of sessions, with text and inputs masked.
        Turn recording on for this project under <${Link} to=${{ ...s, route: 'settings', tab: 'settings', session: '', t: 0 }}>Settings → Session replay<//>
        (“Sessions recorded”, e.g. 30 %); new page loads pick it up within seconds. Visitors who refuse replay consent or send Do Not Track are never recorded.
        Or pick a longer period.</p>
    </${Empty}>`;
  else
    body = html`<div class=${'ftable-wrap' + (q.loading ? ' refetching' : '')}><table class="ftable replays-table" data-table="replays">
      <thead><tr><th scope="col">Started (UTC)</th><th scope="col">Duration</th><th scope="col" class="num">Events</th><th scope="col" class="num">Size</th><th scope="col"><span class="sr-only">Open</span></th></tr></thead>
      <tbody>${sessions.map(
        (r) => html`<tr data-session=${r.session_id}>
          <td><${Link} to=${{ ...s, session: r.session_id, t: 0 }} class="replay-link">${when(r.first_ts)}<//>
            ${r.truncated && html` <span class="badge badge-warn" title="The recording reached the session's size cap and stops early">truncated</span>`}</td>
          <td>${duration(r.duration_ms)}</td>
          <td class="num" title=${exact(r.events) + ' rrweb events in ' + r.chunks + ' chunks'}>${exact(r.events)}</td>
          <td class="num">${kb(r.bytes)}</td>
          <td><${Link} to=${{ ...s, session: r.session_id, t: 0 }} class="btn btn-small" aria-label=${'Play the session of ' + when(r.first_ts)}>Play<//></td>
        </tr>`,
      )}</tbody></table></div>`;
  return html`<div class="page replays-page">
    <${PageHeader} title="Replays" sub=${q.data && sessions.length > 0 ? `${exact(sessions.length)}${sessions.length === 200 ? '+' : ''} recorded session${sessions.length === 1 ? '' : 's'}${filtered ? ' matching the filters' : ''}, ${SORT_LABEL[s.sort].toLowerCase()}` : undefined}>
      <${FilterBar} s=${s} range=${range} now=${props.now} widthFilter=${false} />
      <label class="select-wrap replay-sort"><span class="sr-only">Order</span>
        <select value=${s.sort} data-field="sort" onChange=${(e: Event) => patch({ sort: (e.target as HTMLSelectElement).value as ReplaySort })}>
          ${REPLAY_SORTS.map((o) => html`<option value=${o}>${SORT_LABEL[o]}</option>`)}
        </select></label>
    </${PageHeader}>
    <section class="card" aria-label="Recorded sessions">${body}</section>
  </div>`;
}
