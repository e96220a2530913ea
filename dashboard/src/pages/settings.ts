// Settings: Install (the snippet, and a check that events arrive), the project's keys and
// allowed origins, and the signed-in user's sessions (GET /api/me/sessions; end one or all
// others). Editing settings (sampling, masking, retention) comes with the rest of issue 12.
import { useState } from 'preact/hooks';
import { get, post } from '../api/client';
import type { Overview, Project } from '../api/types';
import { PageHeader } from '../components/shell';
import { SignOutButton } from '../components/sign-out';
import { CopyButton, Snippet } from '../components/snippet';
import { Spinner } from '../components/states';
import { useQuery } from '../hooks';
import { html } from '../html';
import { browserName } from '../lib/accounts';
import { rangeOf, toDay } from '../lib/dates';
import { exact } from '../lib/format';
import type { AppState } from '../lib/url-state';
import { patch } from '../store';

function Verify(props: { project: Project; now: number }) {
  const r = rangeOf('all', props.now, undefined, toDay(props.project.created_ms || props.now));
  const params = { project_id: props.project.id, from: r.from, to: r.to, limit: 1 };
  const q = useQuery<Overview>(JSON.stringify(params), (signal) => get<Overview>('/api/overview', params, signal), 2000);
  if (q.error) return html`<p class="state-text">Could not check: ${q.error.message} <button type="button" class="btn btn-small" onClick=${q.reload}>Retry</button></p>`;
  if (!q.data) return html`<p><${Spinner} /> Checking…</p>`;
  return q.data.totals.pageviews > 0
    ? html`<p class="ok" role="status">✓ Events are arriving: ${exact(q.data.totals.pageviews)} pageviews so far.</p>`
    : html`<p class="waiting" role="status"><span class="live-dot on" aria-hidden="true"></span>Waiting for the first event… open a page of your site with the snippet.</p>`;
}

function settingsCommand(projectId: string): string {
  return `tapistry project settings --data DIR --project ${projectId} --origin https://your-site.example`;
}

interface DashboardSession {
  id: string;
  current: boolean;
  created_ms: number;
  last_seen_ms: number;
  expires_ms: number;
  user_agent: string;
}

function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** The signed-in user's sessions: where they are signed in, and a way to end the others. */
function Sessions() {
  const [version, setVersion] = useState(0);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState('');
  const q = useQuery<{ sessions: DashboardSession[] }>(String(version), (signal) => get<{ sessions: DashboardSession[] }>('/api/me/sessions', {}, signal));
  const revoke = async (body: { session_id: string } | { others: true }, key: string) => {
    setBusy(key);
    setError('');
    try {
      await post('/api/me/sessions/revoke', body);
      setVersion((v) => v + 1);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy('');
    }
  };
  if (q.error) return html`<p class="state-text">Could not list your sessions: ${q.error.message} <button type="button" class="btn btn-small" onClick=${q.reload}>Retry</button></p>`;
  if (!q.data) return html`<p><${Spinner} /> Loading…</p>`;
  const list = q.data.sessions;
  return html`<div>
    <ul class="plain session-list" aria-label="Your sessions">
      ${list.map(
        (x) => html`<li class="session-row" key=${x.id}>
          <div><strong>${browserName(x.user_agent)}</strong>${x.current ? html` <span class="session-current">This browser</span>` : ''}
            <div class="muted small">Signed in ${when(x.created_ms)} · last active ${when(x.last_seen_ms)}</div></div>
          ${x.current
            ? html`<${SignOutButton} class="btn btn-small" />`
            : html`<button type="button" class="btn btn-small" disabled=${busy !== ''} onClick=${() => revoke({ session_id: x.id }, x.id)}>${busy === x.id ? 'Ending…' : 'End session'}</button>`}
        </li>`,
      )}
    </ul>
    ${list.length > 1 && html`<button type="button" class="btn" disabled=${busy !== ''} onClick=${() => revoke({ others: true }, 'others')}>${busy === 'others' ? 'Ending…' : 'End all other sessions'}</button>`}
    ${error && html`<p class="error-text small" role="alert">${error}</p>`}
  </div>`;
}

export function SettingsPage(props: { s: AppState; project: Project; now: number }) {
  const { s, project } = props;
  const tab = s.tab === 'project' ? 'project' : 'install';
  return html`<div class="page settings-page">
    <${PageHeader} title="Settings" sub=${project.name} />
    <div class="tabs big" role="tablist" aria-label="Settings">
      <button type="button" role="tab" aria-selected=${tab === 'install'} class=${'tab' + (tab === 'install' ? ' active' : '')} onClick=${() => patch({ tab: 'install' })}>Install</button>
      <button type="button" role="tab" aria-selected=${tab === 'project'} class=${'tab' + (tab === 'project' ? ' active' : '')} onClick=${() => patch({ tab: 'project' })}>Project & keys</button>
    </div>
    ${tab === 'install'
      ? html`<section class="card" aria-labelledby="inst-h">
          <h2 id="inst-h">Install the snippet</h2>
          <p>Paste it in the <code>${'<head>'}</code> of every page. It is ${'<'}8 KB, loads asynchronously, and records page views, clicks and scroll depth.
            See the SDK reference (docs/sdk.md) for options, consent and Content-Security-Policy.</p>
          <${Snippet} project=${project} />
          <h3>Verify</h3>
          <${Verify} project=${project} now=${props.now} />
        </section>`
      : html`<section class="card" aria-labelledby="proj-h">
          <h2 id="proj-h">${project.name}</h2>
          <dl class="kv">
            <dt>Project id</dt><dd><code>${project.id}</code> <${CopyButton} text=${project.id} /></dd>
            <dt>Public key</dt><dd><code>${project.public_key}</code> <${CopyButton} text=${project.public_key} />
              <span class="muted small">Public by design: it only lets browsers send events from the allowed origins.</span></dd>
            <dt>Allowed origins</dt><dd>${project.allowed_origins.length ? html`<ul class="plain">${project.allowed_origins.map((o) => html`<li><code>${o}</code></li>`)}</ul>` : html`<span class="muted">None: pages on any site can send events with this key. Add your site's origin so that only it can.</span>`}</dd>
            <dt>Created</dt><dd>${project.created_ms ? new Date(project.created_ms).toISOString().slice(0, 10) : '–'}</dd>
          </dl>
          <p class="muted">Change allowed origins, retention and rate limits on the server (a running server picks changes up within 5 s):</p>
          <pre class="code"><code>${settingsCommand(project.id)}</code></pre>
          <p class="muted">A lost or leaked read token: <code>tapistry project token --data DIR --project ${project.id} --revoke-others</code>.
            A new public key (then update the snippet): <code>tapistry project rotate-key --data DIR --project ${project.id}</code>.
            Editing settings here, sampling and masking rules come with accounts in a later release.</p>
        </section>`}
    <section class="card session-card" aria-labelledby="session-h">
      <h2 id="session-h">Your sessions</h2>
      <p>Where you are signed in to the dashboard. A session ends when left unused for a while (30 minutes by default) and some hours after sign-in (12 by default); ending one here ends it on the server at once.</p>
      <${Sessions} />
    </section>
  </div>`;
}
