// Settings (issue 12, the product run from the dashboard): Install (snippet, CSP, consent, and a
// "Verify installation" that polls /api/install/status), the project's Settings (owners edit,
// members read), Members, Keys (rotate, rename, delete), the Audit log, and Your sessions.
// The tab is in the URL (?tab=).
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, get, post, send, withQuery } from '../api/client';
import type { Overview, Project } from '../api/types';
import { MaskPreview } from '../components/mask-preview';
import { PageHeader } from '../components/shell';
import { SignOutButton } from '../components/sign-out';
import { CopyButton, Snippet } from '../components/snippet';
import { Empty, ErrorPanel, Skeleton, Spinner } from '../components/states';
import { useQuery } from '../hooks';
import { html } from '../html';
import { browserName } from '../lib/accounts';
import {
  type AuditEntry,
  actionLabel,
  auditDetails,
  fieldMessage,
  fieldOfError,
  INT_FIELDS,
  INVISIBLE_CAUSES,
  type InstallStatus,
  LABELS,
  normalOrigin,
  originAllowed,
  percentToRate,
  RATE_KEYS,
  type RateKey,
  problemAdvice,
  type ProjectSettings,
  rateToPercent,
  type SettingKey,
  settingsDiff,
} from '../lib/admin';
import { rangeOf, toDay } from '../lib/dates';
import { exact } from '../lib/format';
import type { AppState } from '../lib/url-state';
import { patch, refreshProjects } from '../store';

const TABS = [
  ['install', 'Install'],
  ['settings', 'Settings'],
  ['members', 'Members'],
  ['keys', 'Keys'],
  ['audit', 'Audit log'],
  ['privacy', 'Privacy requests'],
  ['sessions', 'Your sessions'],
] as const;
type Tab = (typeof TABS)[number][0];

function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}
function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19) + ' UTC';
}

interface RetentionRun {
  ran_ms: number;
  events_removed: number;
  recordings_removed: number;
  error: string;
}

interface SettingsReply {
  project: Project;
  settings: ProjectSettings;
  /** the retention job's last pass over the project; null before the first (it runs hourly) */
  retention_last_run?: RetentionRun | null;
}

function retentionLine(r: RetentionRun | null | undefined): string {
  if (!r) return 'The retention job has not run for this project yet (it runs every hour).';
  const at = new Date(r.ran_ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  if (r.error) return `Last run ${at} failed: ${r.error}`;
  return `Last run ${at}: ${exact(r.events_removed)} events and ${exact(r.recordings_removed)} recordings removed.`;
}

const isOwner = (p: Project) => p.role === 'owner';

// ---------------------------------------------------------------- Install

const CSP_NONCE = (host: string) =>
  `Content-Security-Policy: script-src 'nonce-{random}' 'strict-dynamic'; connect-src ${host}; object-src 'none'; base-uri 'none'`;
const CSP_HASH = (host: string) => `Content-Security-Policy: script-src 'self' ${host} 'sha256-{hash of the snippet text}'; connect-src ${host}`;

/** The pre-API check: counts page views (GET /api/overview), for servers without /api/install/status. */
function VerifyByOverview(props: { project: Project; now: number }) {
  const r = rangeOf('all', props.now, undefined, toDay(props.project.created_ms || props.now));
  const params = { project_id: props.project.id, from: r.from, to: r.to, limit: 1 };
  const q = useQuery<Overview>(JSON.stringify(params), (signal) => get<Overview>('/api/overview', params, signal), 2000);
  if (q.error) return html`<p class="state-text">Could not check: ${q.error.message} <button type="button" class="btn btn-small" onClick=${q.reload}>Retry</button></p>`;
  if (!q.data) return html`<p><${Spinner} /> Checking…</p>`;
  return q.data.totals.pageviews > 0
    ? html`<p class="ok verify-ok" role="status">✓ Events are arriving: ${exact(q.data.totals.pageviews)} pageviews so far.</p>`
    : html`<div><p class="waiting" role="status"><span class="live-dot on" aria-hidden="true"></span>Waiting for the first event… open a page of your site with the snippet.</p>
        <${Invisible} /></div>`;
}

function Invisible() {
  return html`<details class="invisible-causes">
    <summary>Nothing arriving? What the server cannot see</summary>
    <ul>${INVISIBLE_CAUSES.map((c) => html`<li>${c}</li>`)}</ul>
  </details>`;
}

function Verify(props: { project: Project; now: number }) {
  const { project } = props;
  const [started] = useState(Date.now());
  const [allowing, setAllowing] = useState('');
  const [allowError, setAllowError] = useState('');
  const q = useQuery<InstallStatus>('install:' + project.id, (signal) => get<InstallStatus>('/api/install/status', { project_id: project.id }, signal), 2000);
  if (q.error?.missing || q.error?.status === 404) return html`<${VerifyByOverview} project=${project} now=${props.now} />`;
  if (q.error) return html`<${ErrorPanel} error=${q.error} retry=${q.reload} what="The installation check" />`;
  if (!q.data) return html`<p><${Spinner} /> Checking…</p>`;
  const st = q.data;
  const allow = async (origin: string) => {
    setAllowing(origin);
    setAllowError('');
    try {
      await send('PUT', '/api/settings', { project_id: project.id, allowed_origins: [...project.allowed_origins, normalOrigin(origin)] });
      await refreshProjects();
      q.refresh();
    } catch (e) {
      setAllowError((e as ApiError).message);
    } finally {
      setAllowing('');
    }
  };
  // the last events, by origin: how many and when the latest came
  const byOrigin = new Map<string, { count: number; last: number }>();
  for (const r of st.recent ?? []) {
    const o = byOrigin.get(r.origin) ?? { count: 0, last: 0 };
    o.count += r.accepted;
    o.last = Math.max(o.last, r.ts_ms);
    byOrigin.set(r.origin, o);
  }
  const problems = st.problems ?? [];
  const waitedLong = Date.now() - started > 15000;
  return html`<div class="verify">
    ${st.last_event_ms > 0
      ? html`<p class="ok verify-ok" role="status">✓ Events are arriving — the last at ${clock(st.last_event_ms)}${st.last_origin ? ` from ${st.last_origin}` : ''}.</p>`
      : html`<p class="waiting" role="status"><span class="live-dot on" aria-hidden="true"></span>Waiting for the first event… open a page of your site with the snippet (checked every 2 s).</p>`}
    ${byOrigin.size > 0 &&
    html`<table class="ftable verify-recent"><caption class="sr-only">Recent requests</caption>
      <thead><tr><th>Origin</th><th class="num">Events stored</th><th>Last</th></tr></thead>
      <tbody>${[...byOrigin].map(([o, v]) => html`<tr><td><code>${o || '(no origin)'}</code></td><td class="num">${v.count}</td><td>${clock(v.last)}</td></tr>`)}</tbody>
    </table>`}
    ${problems.length > 0 &&
    html`<ul class="plain problems" aria-label="Problems">
      ${problems.map((p) => {
        const a = problemAdvice(p);
        const canAllow = a.action === 'allow_origin' && isOwner(project) && !originAllowed(project.allowed_origins, p.origin);
        return html`<li class="problem" key=${p.reason + p.origin}>
          <strong>${a.title}</strong> <span class="muted small">(last ${clock(p.last_ms)})</span>
          <div>${a.fix}</div>
          ${canAllow && html`<button type="button" class="btn btn-small" disabled=${allowing !== ''} onClick=${() => allow(p.origin)}>${allowing === p.origin ? 'Adding…' : `Allow ${p.origin}`}</button>`}
        </li>`;
      })}
    </ul>`}
    ${allowError && html`<p class="error-text small" role="alert">${allowError}</p>`}
    ${st.last_event_ms === 0 && problems.length === 0 && (waitedLong ? html`<div class="invisible-causes"><p>Nothing has reached the server yet. What it cannot see:</p><ul>${INVISIBLE_CAUSES.map((c) => html`<li>${c}</li>`)}</ul></div>` : html`<${Invisible} />`)}
  </div>`;
}

function InstallTab(props: { project: Project; now: number }) {
  const { project } = props;
  const [verifying, setVerifying] = useState(false);
  const host = location.origin;
  return html`<section class="card" aria-labelledby="inst-h">
    <h2 id="inst-h">Install the snippet</h2>
    <p>Paste it in the <code>${'<head>'}</code> of every page. It is ${'<'}8 KB, loads asynchronously, and records page views, clicks and scroll depth.</p>
    <${Snippet} project=${project} />
    <h3>Verify installation</h3>
    ${verifying
      ? html`<${Verify} project=${project} now=${props.now} />`
      : html`<p>Open a page of your site that has the snippet, then:</p>
        <button type="button" class="btn btn-primary" onClick=${() => setVerifying(true)}>Verify installation</button>`}
    <h3>Content-Security-Policy</h3>
    <p>If your site sends a CSP, it must let the snippet run and reach this server. A strict policy with a nonce (put <code>nonce="{random}"</code> on the snippet’s script tag):</p>
    <pre class="code"><code>${CSP_NONCE(host)}</code></pre>
    <p>Without nonces, allow the host and the hash of the snippet’s text:</p>
    <pre class="code"><code>${CSP_HASH(host)}</code></pre>
    <p class="muted small">Heatmap snapshots and live mode load <code>/v1/snapshot.js</code> and <code>/v1/frame.js</code> from the same host: both policies allow them.</p>
    <h3>Consent and single-page apps</h3>
    <ul>
      <li><strong>Consent (CMP):</strong> to collect nothing until the visitor agrees, add <code>tapistry('config', { requireConsent: true })</code> after the snippet
        and call <code>tapistry('setConsent', { analytics: true, replay: true })</code> from your consent banner’s callback on every page (consent is not stored).
        “Require consent” in the Settings tab makes the server store nothing sent before that call, whatever the page does.
        Without cookies at all: <code>data-persistence="none"</code> (each page load is a new visitor).</li>
      <li><strong>Single-page apps:</strong> route changes (History API pushState / replaceState, popstate, hashchange) are page views by themselves: no extra code for React Router, Next.js or Vue Router.</li>
      <li><strong>Do Not Track / Global Privacy Control:</strong> honoured or not as set in the Settings tab.</li>
    </ul>
  </section>`;
}

// ---------------------------------------------------------------- Settings

function ListEditor(props: { id: string; items: string[]; disabled: boolean; placeholder: string; onChange: (v: string[]) => void; invalid: boolean; describedBy?: string }) {
  const [text, setText] = useState('');
  const add = () => {
    const v = text.trim();
    if (!v) return;
    if (!props.items.includes(v)) props.onChange([...props.items, v]);
    setText('');
  };
  return html`<div class="list-editor">
    ${props.items.length === 0 && html`<p class="muted small">None.</p>`}
    <ul class="plain">
      ${props.items.map(
        (it, i) => html`<li class="list-item" key=${it}><code>${it}</code>
          ${!props.disabled && html`<button type="button" class="btn-link small" aria-label=${'Remove ' + it} onClick=${() => props.onChange(props.items.filter((_, j) => j !== i))}>Remove</button>`}</li>`,
      )}
    </ul>
    ${!props.disabled &&
    html`<div class="list-add">
      <input id=${props.id} type="text" placeholder=${props.placeholder} value=${text} aria-invalid=${props.invalid ? 'true' : 'false'} aria-describedby=${props.describedBy}
        onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)}
        onKeyDown=${(e: KeyboardEvent) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            add();
          }
        }} />
      <button type="button" class="btn btn-small" onClick=${add} disabled=${!text.trim()}>Add</button>
    </div>`}
  </div>`;
}

function SettingsForm(props: { project: Project; saved: ProjectSettings; onSaved: (s: ProjectSettings) => void; lastRun?: RetentionRun | null }) {
  const { project, saved } = props;
  const owner = isOwner(project);
  const ro = !owner;
  const [draft, setDraft] = useState<ProjectSettings>(saved);
  // sample rates are typed as percentages; kept as text while typing
  const pctsOf = (v: ProjectSettings) => Object.fromEntries(RATE_KEYS.map((k) => [k, String(rateToPercent(v[k]))])) as Record<RateKey, string>;
  const [pcts, setPcts] = useState(pctsOf(saved));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ key: SettingKey | ''; message: string } | null>(null);
  const [savedAt, setSavedAt] = useState(0);
  const diff = settingsDiff(saved, draft);
  const dirty = Object.keys(diff).length > 0;
  const set = <K extends SettingKey>(k: K, v: ProjectSettings[K]) => {
    setDraft((d) => ({ ...d, [k]: v }));
    setSavedAt(0);
  };
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (dirty) e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await send<{ changed: string[]; settings: ProjectSettings }>('PUT', '/api/settings', { project_id: project.id, ...diff });
      setDraft(r.settings);
      setPcts(pctsOf(r.settings));
      props.onSaved(r.settings);
      setSavedAt(Date.now());
      if ('allowed_origins' in diff) void refreshProjects();
    } catch (err) {
      const ae = err as ApiError;
      const key = ae.status === 400 ? fieldOfError(ae.reason) : '';
      setError({ key, message: key ? fieldMessage(ae.reason, key) : ae.message });
    } finally {
      setBusy(false);
    }
  };
  const reset = () => {
    setDraft(saved);
    setPcts(pctsOf(saved));
    setError(null);
  };
  const fieldError = (k: SettingKey) => (error && error.key === k ? html`<p id=${'err-' + k} class="error-text small field-error" role="alert">${error.message}</p>` : null);
  const num = (k: keyof typeof INT_FIELDS) => {
    const f = INT_FIELDS[k]!;
    return html`<div class="field">
      <label for=${'f-' + k}>${f.label}</label>
      <div class="field-row"><input id=${'f-' + k} type="number" min=${f.min} max=${f.max} step="1" disabled=${ro} value=${String(draft[f.key])}
        aria-invalid=${error?.key === k ? 'true' : 'false'} aria-describedby=${error?.key === k ? 'err-' + k : undefined}
        onInput=${(e: Event) => {
          const v = (e.target as HTMLInputElement).value;
          set(f.key, (v === '' ? NaN : Number(v)) as never);
        }} /> <span class="muted small">${f.unit}</span></div>
      <p class="muted small">${f.min}–${exact(f.max)}${f.help ? ' · ' + f.help : ''}</p>
      ${fieldError(f.key)}
    </div>`;
  };
  const list = (k: SettingKey, placeholder: string, help: string) => html`<div class="field">
    <label for=${'f-' + k}>${LABELS[k]}</label>
    <p class="muted small">${help}</p>
    <${ListEditor} id=${'f-' + k} items=${draft[k] as string[]} disabled=${ro} placeholder=${placeholder} invalid=${error?.key === k}
      describedBy=${error?.key === k ? 'err-' + k : undefined} onChange=${(v: string[]) => set(k, v as never)} />
    ${fieldError(k)}
  </div>`;
  const rate = (k: RateKey, label: string, help: string) => html`<div class="field">
    <label for=${'f-' + k}>${label}</label>
    <div class="field-row"><input id=${'f-' + k} type="number" min="0" max="100" step="1" disabled=${ro} value=${pcts[k]}
      aria-invalid=${error?.key === k ? 'true' : 'false'} aria-describedby=${error?.key === k ? 'err-' + k : undefined}
      onInput=${(e: Event) => {
        const v = (e.target as HTMLInputElement).value;
        setPcts((p) => ({ ...p, [k]: v }));
        set(k, v === '' ? NaN : percentToRate(Number(v)));
      }} /> <span class="muted small">%</span></div>
    <p class="muted small">${help}</p>
    ${fieldError(k)}
  </div>`;
  const toggle = (k: 'respect_dnt' | 'respect_gpc' | 'store_raw_ua' | 'cookieless' | 'require_consent', help: string) => html`<div class="field">
    <label class="check"><input type="checkbox" checked=${draft[k]} disabled=${ro} onChange=${(e: Event) => set(k, (e.target as HTMLInputElement).checked)} /> ${LABELS[k]}</label>
    <p class="muted small">${help}</p>
    ${fieldError(k)}
  </div>`;
  return html`<form class="settings-form" onSubmit=${save} noValidate>
    ${ro && html`<p class="note" role="note">You are a member of this project: you can read its settings; only an owner can change them.</p>`}
    <fieldset class="card"><legend>Sites</legend>
      ${list('allowed_origins', 'https://www.example.com', 'Only pages from these origins may send events. None: any site can send events with the key. https://*.example.com covers subdomains.')}
      ${list('query_allowlist', 'utm_source', 'Query parameters kept in stored URLs; all others are dropped before storage (so tokens in links are not kept).')}
      ${list('path_rules', '/product/:id', 'Many pages counted as one: /product/:id stores /product/42 and /product/43 as /product/:id; /blog/* stores every page under /blog. First match wins; pages received from now on.')}
      ${rate('event_sample_rate', 'Sessions whose events are stored', '100 keeps every session; 50 keeps the events of half of them (the same half on every page). Counts are not scaled up.')}
    </fieldset>
    <fieldset class="card"><legend>Session replay</legend>
      ${rate('replay_sample_rate', 'Sessions recorded', '0 turns recording off; 100 records every session (that has replay consent). Never more than the events sample rate.')}
      ${num('replay_session_kb')}
      ${list('replay_mask_selectors', '.account-number', 'Text in these elements is always masked in recordings (Xxxx, same length), even where the snippet turns text masking off. Form fields always are.')}
      ${list('replay_allow_selectors', '.product-title', 'Text in these elements is recorded as it is (emails, card numbers and the like still redacted) — unless a masked selector covers it too. All other text is masked.')}
      ${list('replay_ignore_selectors', '.chat-widget', 'Elements left out of recordings entirely (a grey box is shown).')}
      <${MaskPreview} projectId=${project.id} mask=${draft.replay_mask_selectors} allow=${draft.replay_allow_selectors} ignore=${draft.replay_ignore_selectors} />
    </fieldset>
    <fieldset class="card"><legend>Retention</legend>
      <div class="field-grid">${num('retention_days')}${num('replay_retention_days')}</div>
      <p class="muted small retention-run">${retentionLine(props.lastRun)}</p>
    </fieldset>
    <fieldset class="card"><legend>Rate limits</legend>
      <div class="field-grid">${num('rate_project_rps')}${num('rate_ip_rps')}${num('rate_session_eps')}</div>
    </fieldset>
    <fieldset class="card"><legend>Privacy</legend>
      ${toggle('respect_dnt', 'Drop events from browsers that send Do Not Track.')}
      ${toggle('respect_gpc', 'Drop events from browsers that send Global Privacy Control.')}
      ${toggle('require_consent', 'Store nothing from a visitor until your consent banner calls tapistry(\'setConsent\', { analytics: true }); the page stops sending until then.')}
      ${toggle('cookieless', 'Store nothing in visitors’ browsers: visitors are counted per day by a daily-salted hash of address and browser, sessions by 30-minute gaps; returning visitors are not recognised and replay is off (docs/privacy.md).')}
      ${toggle('store_raw_ua', 'Keep the full user-agent string (off: only browser, OS and device are kept).')}
    </fieldset>
    ${owner &&
    html`<div class="save-bar" role="region" aria-label="Save settings">
      <button type="submit" class="btn btn-primary" disabled=${busy || !dirty}>${busy ? 'Saving…' : 'Save changes'}</button>
      <button type="button" class="btn" disabled=${busy || !dirty} onClick=${reset}>Discard</button>
      ${dirty && html`<span class="unsaved" role="status">● Unsaved changes (${Object.keys(diff).length})</span>`}
      ${!dirty && savedAt > 0 && html`<span class="ok saved" role="status">✓ Saved — live within 5 s</span>`}
      ${error && !error.key && html`<span class="error-text small" role="alert">${error.message}</span>`}
    </div>`}
  </form>`;
}

function SettingsTab(props: { project: Project }) {
  const { project } = props;
  // what the last save answered (the form keeps its state: "Saved" stays on screen)
  const [saved, setSaved] = useState<ProjectSettings | null>(null);
  const q = useQuery<SettingsReply>(project.id, (signal) => get<SettingsReply>('/api/settings', { project_id: project.id }, signal));
  if (q.error) return html`<div class="card"><${ErrorPanel} error=${q.error} retry=${q.reload} what="The settings" /></div>`;
  if (!q.data) return html`<div class="card"><${Skeleton} lines=${10} height=${22} /></div>`;
  const p = { ...project, role: q.data.project.role ?? project.role };
  return html`<${SettingsForm} project=${p} saved=${saved ?? q.data.settings} onSaved=${setSaved} lastRun=${q.data.retention_last_run} />`;
}

// ---------------------------------------------------------------- Members

interface Member {
  user_id: string;
  email: string;
  role: 'owner' | 'member';
  added_ms: number;
  you: boolean;
}

function lastOwnerMessage(e: ApiError): string {
  return e.status === 409 ? 'A project needs at least one owner: make another member an owner first.' : e.message;
}

function MembersTab(props: { project: Project }) {
  const { project } = props;
  const owner = isOwner(project);
  const [version, setVersion] = useState(0);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'owner'>('member');
  const [busy, setBusy] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [confirming, setConfirming] = useState('');
  const q = useQuery<{ members: Member[] }>(project.id + ':' + version, (signal) => get<{ members: Member[] }>('/api/members', { project_id: project.id }, signal));
  const act = async (key: string, fn: () => Promise<string>) => {
    setBusy(key);
    setMsg(null);
    try {
      setMsg({ ok: true, text: await fn() });
      setVersion((v) => v + 1);
    } catch (e) {
      setMsg({ ok: false, text: lastOwnerMessage(e as ApiError) });
    } finally {
      setBusy('');
      setConfirming('');
    }
  };
  const invite = (e: Event) => {
    e.preventDefault();
    void act('invite', async () => {
      const r = await post<{ email: string; role: string; added: boolean }>('/api/members', { project_id: project.id, email: email.trim(), role });
      setEmail('');
      return r.added ? `Added ${r.email} as ${r.role}. They were mailed where to sign in.` : `${r.email} is now ${r.role === 'owner' ? 'an owner' : 'a member'}.`;
    });
  };
  const changeRole = (m: Member, to: string) =>
    act('role:' + m.user_id, async () => {
      await post('/api/members', { project_id: project.id, email: m.email, role: to });
      // your own role changed: the switcher and the owner-only controls follow
      if (m.you) await refreshProjects();
      return `${m.email} is now ${to === 'owner' ? 'an owner' : 'a member'}.`;
    });
  const remove = (m: Member) =>
    act('remove:' + m.user_id, async () => {
      await send('DELETE', withQuery('/api/members', { project_id: project.id, user_id: m.user_id }));
      if (m.you) {
        await refreshProjects();
        patch({ project: '', route: 'overview' });
      }
      return `Removed ${m.email}.`;
    });
  let body;
  if (q.error) body = html`<${ErrorPanel} error=${q.error} retry=${q.reload} what="The members" />`;
  else if (!q.data) body = html`<${Skeleton} lines=${3} height=${24} />`;
  else
    body = html`<table class="ftable members-table">
      <thead><tr><th>Email</th><th>Role</th><th>Added</th>${owner && html`<th><span class="sr-only">Actions</span></th>`}</tr></thead>
      <tbody>${q.data.members.map(
        (m) => html`<tr key=${m.user_id} data-email=${m.email}>
          <td>${m.email || html`<span class="muted">(no email address)</span>`}${m.you && html` <span class="session-current">you</span>`}</td>
          <td>${owner
            ? html`<select aria-label=${'Role of ' + m.email} value=${m.role} disabled=${busy !== ''} onChange=${(e: Event) => changeRole(m, (e.target as HTMLSelectElement).value)}>
                <option value="member">member</option><option value="owner">owner</option></select>`
            : m.role}</td>
          <td>${m.added_ms ? when(m.added_ms) : '–'}</td>
          ${owner &&
          html`<td class="row-actions">${confirming === m.user_id
            ? html`<span class="confirm-inline" role="group" aria-label="Confirm removal">${m.you ? 'Remove yourself? You lose access.' : `Remove ${m.email}?`}
                <button type="button" class="btn btn-small btn-danger" disabled=${busy !== ''} onClick=${() => remove(m)}>Yes, remove</button>
                <button type="button" class="btn btn-small" onClick=${() => setConfirming('')}>Cancel</button></span>`
            : html`<button type="button" class="btn btn-small" disabled=${busy !== ''} onClick=${() => setConfirming(m.user_id)}>Remove</button>`}</td>`}
        </tr>`,
      )}</tbody>
    </table>`;
  return html`<section class="card" aria-labelledby="mem-h">
    <h2 id="mem-h">Members</h2>
    <p class="muted">Owners change settings, keys and members and see the audit log; members see the statistics, replays and settings.</p>
    ${body}
    ${msg && html`<p class=${msg.ok ? 'ok small' : 'error-text small'} role=${msg.ok ? 'status' : 'alert'}>${msg.text}</p>`}
    ${owner
      ? html`<form class="invite-form" onSubmit=${invite} noValidate>
          <h3>Invite someone</h3>
          <div class="field-row">
            <label for="inv-email" class="sr-only">Email</label>
            <input id="inv-email" type="email" placeholder="colleague@example.com" autocomplete="off" value=${email} onInput=${(e: Event) => setEmail((e.target as HTMLInputElement).value)} />
            <label for="inv-role" class="sr-only">Role</label>
            <select id="inv-role" value=${role} onChange=${(e: Event) => setRole((e.target as HTMLSelectElement).value as 'member' | 'owner')}>
              <option value="member">member</option><option value="owner">owner</option>
            </select>
            <button type="submit" class="btn btn-primary" disabled=${busy !== '' || !email.trim()}>${busy === 'invite' ? 'Inviting…' : 'Invite'}</button>
          </div>
          <p class="muted small">They get an email saying where to sign in; they sign in with that address (no password).</p>
        </form>`
      : html`<p class="note">Only owners can invite or remove members.</p>`}
  </section>`;
}

// ---------------------------------------------------------------- Keys

interface ReadToken {
  id: string;
  name: string;
  created_ms: number;
  expires_ms: number;
  expired: boolean;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Read tokens (owners): for scripts that read statistics. Made with a name and an expiry; the
 * secret is shown once; revoked one by one. */
function ReadTokens(props: { project: Project }) {
  const { project } = props;
  const [version, setVersion] = useState(0);
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const [busy, setBusy] = useState('');
  const [error, setError] = useState('');
  const q = useQuery<{ tokens: ReadToken[] }>(project.id + ':' + version, (signal) => get<{ tokens: ReadToken[] }>('/api/tokens', { project_id: project.id }, signal));
  const act = async (key: string, fn: () => Promise<void>) => {
    setBusy(key);
    setError('');
    try {
      await fn();
      setVersion((v) => v + 1);
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy('');
    }
  };
  return html`<section class="card" aria-labelledby="tok-h">
    <h2 id="tok-h">Read tokens</h2>
    <p class="muted">For scripts and tools that read this project’s statistics through the API (<code>Authorization: Bearer rt_…</code>). A token reads; it cannot change anything.</p>
    ${q.error && html`<p class="error-text small" role="alert">Could not list tokens: ${q.error.message}</p>`}
    ${!q.data && !q.error && html`<p><${Spinner} /> Loading…</p>`}
    ${q.data &&
    html`<table class="ftable tokens-table"><caption class="sr-only">Read tokens</caption>
      <thead><tr><th>Name</th><th>Created</th><th>Expires</th><th></th></tr></thead>
      <tbody>${q.data.tokens.map(
        (t) => html`<tr key=${t.id} data-token=${t.name}><td>${t.name || html`<span class="muted">(made with the project)</span>`}</td><td>${day(t.created_ms)}</td>
          <td>${t.expires_ms ? (t.expired ? html`<span class="error-text">expired ${day(t.expires_ms)}</span>` : day(t.expires_ms)) : 'never'}</td>
          <td><button type="button" class="btn btn-small" disabled=${busy !== ''} onClick=${() => act(t.id, () => send('DELETE', withQuery('/api/tokens', { project_id: project.id, id: t.id })))}>${busy === t.id ? 'Revoking…' : 'Revoke'}</button></td></tr>`,
      )}</tbody></table>`}
    <form class="field-row" onSubmit=${(e: Event) => {
      e.preventDefault();
      void act('create', async () => {
        const r = await post<{ token: string; name: string }>('/api/tokens', { project_id: project.id, name: name.trim(), expires_days: Number(days) });
        setMade({ name: r.name, token: r.token });
        setName('');
      });
    }}>
      <label for="tok-name" class="sr-only">Token name</label>
      <input id="tok-name" type="text" maxlength="100" placeholder="Name, e.g. CI export" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
      <label for="tok-days" class="sr-only">Expires</label>
      <select id="tok-days" value=${days} onChange=${(e: Event) => setDays((e.target as HTMLSelectElement).value)}>
        <option value="30">Expires in 30 days</option><option value="90">Expires in 90 days</option><option value="365">Expires in a year</option><option value="0">Never expires</option>
      </select>
      <button type="submit" class="btn" disabled=${busy !== '' || !name.trim()}>${busy === 'create' ? 'Making…' : 'Make token'}</button>
    </form>
    ${made && html`<div class="note token-made" role="status"><p>Token “${made.name}” — copy it now, it is not shown again:</p><code>${made.token}</code> <${CopyButton} text=${made.token} /></div>`}
    ${error && html`<p class="error-text small" role="alert">${error}</p>`}
  </section>`;
}

function KeysTab(props: { project: Project }) {
  const { project } = props;
  const owner = isOwner(project);
  const [confirmRotate, setConfirmRotate] = useState(false);
  const [busy, setBusy] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string; where: string } | null>(null);
  const [name, setName] = useState(project.name);
  const [typed, setTyped] = useState('');
  const [deleted, setDeleted] = useState<{ events: number; recordings: number } | null>(null);
  const run = async (key: string, fn: () => Promise<string>) => {
    setBusy(key);
    setMsg(null);
    try {
      setMsg({ ok: true, text: await fn(), where: key });
    } catch (e) {
      setMsg({ ok: false, text: (e as ApiError).message, where: key });
    } finally {
      setBusy('');
    }
  };
  const note = (where: string) => (msg && msg.where === where ? html`<p class=${msg.ok ? 'ok small' : 'error-text small'} role=${msg.ok ? 'status' : 'alert'}>${msg.text}</p>` : null);
  if (deleted)
    return html`<section class="card"><${Empty} title="Project deleted">
      ${exact(deleted.events)} events and ${exact(deleted.recordings)} recordings were removed.
      <p><button type="button" class="btn" onClick=${async () => {
        await refreshProjects();
        patch({ project: '', route: 'overview', tab: 'install' });
      }}>Go to another project</button></p>
    <//></section>`;
  return html`<div class="keys-tab">
    <section class="card" aria-labelledby="keys-h">
      <h2 id="keys-h">Keys</h2>
      <dl class="kv">
        <dt>Project id</dt><dd><code>${project.id}</code> <${CopyButton} text=${project.id} /></dd>
        <dt>Public key</dt><dd><code class="public-key">${project.public_key}</code> <${CopyButton} text=${project.public_key} />
          <span class="muted small">Public by design: it only lets browsers send events from the allowed origins.</span></dd>
        <dt>Created</dt><dd>${project.created_ms ? new Date(project.created_ms).toISOString().slice(0, 10) : '–'}</dd>
      </dl>
      ${owner &&
      (confirmRotate
        ? html`<div class="confirm-box" role="alertdialog" aria-labelledby="rot-h">
            <h3 id="rot-h">Rotate the public key?</h3>
            <p>A new key replaces <code>${project.public_key}</code>. The old key stops working within 5 seconds: <strong>every page must then use the new snippet</strong>,
              or its events are refused (“unknown key”).</p>
            <button type="button" class="btn btn-danger" disabled=${busy !== ''} onClick=${() =>
              run('rotate', async () => {
                const r = await post<{ public_key: string }>('/api/keys/rotate', { project_id: project.id });
                await refreshProjects();
                setConfirmRotate(false);
                return `New key ${r.public_key}. Update the snippet on your site (below).`;
              })}>${busy === 'rotate' ? 'Rotating…' : 'Rotate key'}</button>
            <button type="button" class="btn" onClick=${() => setConfirmRotate(false)}>Cancel</button>
          </div>`
        : html`<button type="button" class="btn" onClick=${() => setConfirmRotate(true)}>Rotate public key…</button>`)}
      ${note('rotate')}
      <h3>The snippet with this key</h3>
      <${Snippet} project=${project} />
    </section>
    <section class="card" aria-labelledby="bm-h">
      <h2 id="bm-h">Bookmarklet tokens</h2>
      <p>To see a heatmap over your live site where it cannot be framed, the bookmarklet carries a token of its own: made on demand, it reads only this project’s heatmaps,
        lasts 15 minutes and ends when you sign out. Nothing to keep or revoke here.</p>
      <button type="button" class="btn" onClick=${() => patch({ route: 'heatmaps', mode: 'bookmarklet' })}>Make one in Heatmaps → Bookmarklet</button>
    </section>
    ${owner
      ? html`<${ReadTokens} project=${project} />
        <section class="card" aria-labelledby="ren-h">
          <h2 id="ren-h">Rename</h2>
          <form class="field-row" onSubmit=${(e: Event) => {
            e.preventDefault();
            void run('rename', async () => {
              await send('PUT', '/api/project', { project_id: project.id, name: name.trim() });
              await refreshProjects();
              return 'Renamed.';
            });
          }}>
            <label for="ren-name" class="sr-only">Project name</label>
            <input id="ren-name" type="text" maxlength="200" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
            <button type="submit" class="btn" disabled=${busy !== '' || !name.trim() || name.trim() === project.name}>Rename</button>
          </form>
          ${note('rename')}
        </section>
        <section class="card danger-zone" aria-labelledby="del-h">
          <h2 id="del-h">Delete this project</h2>
          <p>Deletes <strong>${project.name}</strong> and everything stored for it: all events, session recordings, saved funnels, snapshots and its members’ access.
            The snippet stops working. This cannot be undone.</p>
          <label for="del-name">Type the project name, <strong>${project.name}</strong>, to confirm</label>
          <div class="field-row">
            <input id="del-name" type="text" autocomplete="off" value=${typed} onInput=${(e: Event) => setTyped((e.target as HTMLInputElement).value)} />
            <button type="button" class="btn btn-danger" disabled=${busy !== '' || typed !== project.name} onClick=${() =>
              run('delete', async () => {
                const r = await send<{ removed: { events: number; recordings: number } }>('DELETE', withQuery('/api/project', { project_id: project.id }));
                setDeleted(r.removed);
                return 'Deleted.';
              })}>${busy === 'delete' ? 'Deleting…' : 'Delete project'}</button>
          </div>
          ${note('delete')}
        </section>`
      : html`<p class="note">Only owners can rotate the key, rename or delete the project.</p>`}
  </div>`;
}

// ---------------------------------------------------------------- Privacy requests

const plural = (n: number, word: string) => `${exact(n)} ${word}${n === 1 ? '' : 's'}`;

/** A visitor's or user's data (spec §10): export it (JSON / CSV) or delete it everywhere. Owners. */
function PrivacyTab(props: { project: Project }) {
  const { project } = props;
  const [by, setBy] = useState<'anonymous_id' | 'user_id'>('anonymous_id');
  const [id, setId] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<{ deleted: number; sessions: number; recordings_deleted: number } | null>(null);
  const [error, setError] = useState('');
  if (!isOwner(project)) return html`<p class="note">Only an owner of ${project.name} can export or delete a visitor’s data.</p>`;
  const subject = { project_id: project.id, [by]: id.trim() };
  const exportUrl = (format: 'json' | 'csv') => withQuery('/api/dsar/export', { ...subject, format });
  const remove = async () => {
    setBusy(true);
    setError('');
    try {
      setReport(await post<{ deleted: number; sessions: number; recordings_deleted: number }>('/api/dsar/delete', subject));
      setConfirming(false);
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  const ready = id.trim() !== '';
  return html`<section class="card privacy-tab" aria-labelledby="dsar-h">
    <h2 id="dsar-h">A visitor’s data</h2>
    <p>Answer an access or erasure request (GDPR articles 15 and 17): find the visitor by the id your site knows — the <code>anonymous_id</code> the SDK gave them
      (in their <code>_tap</code> cookie: <code>${'1.<anonymous_id>.…'}</code>) or the <code>user_id</code> you set with <code>identify</code>.</p>
    <div class="field-row">
      <label for="dsar-by" class="sr-only">Find by</label>
      <select id="dsar-by" value=${by} onChange=${(e: Event) => setBy((e.target as HTMLSelectElement).value as 'anonymous_id' | 'user_id')}>
        <option value="anonymous_id">anonymous_id</option><option value="user_id">user_id</option>
      </select>
      <label for="dsar-id" class="sr-only">Id</label>
      <input id="dsar-id" type="text" autocomplete="off" placeholder=${by === 'anonymous_id' ? '6a0b7c2d-…' : 'user-42'} value=${id}
        onInput=${(e: Event) => {
          setId((e.target as HTMLInputElement).value);
          setReport(null);
          setConfirming(false);
        }} />
    </div>
    <h3>Export</h3>
    <p class="muted small">Every stored event of the visitor, with their sessions and recordings, as a file.</p>
    <p>${ready
      ? html`<a class="btn" href=${exportUrl('json')} download>Export JSON</a> <a class="btn" href=${exportUrl('csv')} download>Export CSV</a>`
      : html`<span class="muted">Enter an id to export.</span>`}</p>
    <h3>Delete</h3>
    <p class="muted small">Removes every event of the visitor, and the recordings of their sessions, from the store and the disk (nothing is left in logs or journals). Other visitors’ numbers do not change. This cannot be undone; the audit log records that it was done, not whose data it was.</p>
    ${confirming
      ? html`<div class="confirm-box" role="alertdialog" aria-labelledby="dsar-c">
          <p id="dsar-c">Delete all data of <code>${id.trim()}</code> in ${project.name}?</p>
          <button type="button" class="btn btn-danger" disabled=${busy} onClick=${remove}>${busy ? 'Deleting…' : 'Yes, delete'}</button>
          <button type="button" class="btn" onClick=${() => setConfirming(false)}>Cancel</button>
        </div>`
      : html`<button type="button" class="btn btn-danger" disabled=${!ready} onClick=${() => setConfirming(true)}>Delete this visitor’s data…</button>`}
    ${report && html`<p class="ok dsar-report" role="status">Deleted ${exact(report.deleted)} events from ${plural(report.sessions, 'session')} and ${plural(report.recordings_deleted, 'recording')}.</p>`}
    ${error && html`<p class="error-text small" role="alert">${error}</p>`}
  </section>`;
}

// ---------------------------------------------------------------- Audit log

function AuditTab(props: { project: Project }) {
  const { project } = props;
  const [pages, setPages] = useState<AuditEntry[][]>([]);
  const [before, setBefore] = useState<number | undefined>(undefined);
  const [next, setNext] = useState<number | undefined>(undefined);
  const q = useQuery<{ entries: AuditEntry[]; next_before?: number }>(isOwner(project) ? project.id + ':' + (before ?? '') : null, (signal) =>
    get<{ entries: AuditEntry[]; next_before?: number }>('/api/audit', { project_id: project.id, limit: 50, before }, signal),
  );
  useEffect(() => {
    if (!q.data) return;
    setPages((ps) => (before === undefined ? [q.data!.entries] : [...ps, q.data!.entries]));
    setNext(q.data.next_before);
  }, [q.data]);
  if (!isOwner(project))
    return html`<section class="card"><${Empty} title="Only owners see the audit log">Ask an owner of ${project.name} if you need to know who changed what.<//></section>`;
  const entries = pages.flat();
  let body;
  if (q.error && entries.length === 0) body = html`<${ErrorPanel} error=${q.error} retry=${q.reload} what="The audit log" />`;
  else if (!q.data && entries.length === 0) body = html`<${Skeleton} lines=${6} height=${22} />`;
  else if (entries.length === 0) body = html`<${Empty} title="Nothing recorded yet">Changes to this project, its members, settings and keys appear here.<//>`;
  else
    body = html`<table class="ftable audit-table">
      <thead><tr><th>When</th><th>Who</th><th>Action</th><th>What changed</th></tr></thead>
      <tbody>${entries.map(
        (e) => html`<tr key=${e.id}><td class="nowrap">${when(e.ts_ms)}</td><td>${e.actor_email || e.actor || 'the server (CLI)'}</td><td>${actionLabel(e.action)}</td><td class="audit-details">${auditDetails(e)}</td></tr>`,
      )}</tbody>
    </table>`;
  return html`<section class="card" aria-labelledby="audit-h">
    <div class="card-head"><h2 id="audit-h">Audit log</h2>
      <a class="btn btn-small" href=${withQuery('/api/audit', { project_id: project.id, format: 'csv', limit: 10000 })} download>Export CSV</a></div>
    ${body}
    ${next !== undefined &&
    html`<div class="card-foot"><button type="button" class="btn" disabled=${q.loading} onClick=${() => setBefore(next)}>${q.loading ? 'Loading…' : 'Load more'}</button></div>`}
    ${q.error && entries.length > 0 && html`<p class="error-text small" role="alert">${q.error.message}</p>`}
  </section>`;
}

// ---------------------------------------------------------------- Your sessions

interface DashboardSession {
  id: string;
  current: boolean;
  created_ms: number;
  last_seen_ms: number;
  expires_ms: number;
  user_agent: string;
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

// ---------------------------------------------------------------- the page

export function SettingsPage(props: { s: AppState; project: Project; now: number }) {
  const { s, project } = props;
  const tab: Tab = (TABS.find(([id]) => id === s.tab)?.[0] ?? 'install') as Tab;
  let body;
  switch (tab) {
    case 'settings':
      body = html`<${SettingsTab} key=${project.id} project=${project} />`;
      break;
    case 'members':
      body = html`<${MembersTab} key=${project.id} project=${project} />`;
      break;
    case 'keys':
      body = html`<${KeysTab} key=${project.id} project=${project} />`;
      break;
    case 'audit':
      body = html`<${AuditTab} key=${project.id} project=${project} />`;
      break;
    case 'privacy':
      body = html`<${PrivacyTab} key=${project.id} project=${project} />`;
      break;
    case 'sessions':
      body = html`<section class="card session-card" aria-labelledby="session-h">
        <h2 id="session-h">Your sessions</h2>
        <p>Where you are signed in to the dashboard. A session ends when left unused for a while (30 minutes by default) and some hours after sign-in (12 by default); ending one here ends it on the server at once.</p>
        <${Sessions} />
      </section>`;
      break;
    default:
      body = html`<${InstallTab} key=${project.id} project=${project} now=${props.now} />`;
  }
  return html`<div class="page settings-page">
    <${PageHeader} title="Settings" sub=${html`${project.name}${project.role ? html` <span class="role-badge">${project.role}</span>` : ''}`} />
    <div class="tabs big" role="tablist" aria-label="Settings">
      ${TABS.map(
        ([id, label]) => html`<button type="button" role="tab" aria-selected=${tab === id} class=${'tab' + (tab === id ? ' active' : '')} onClick=${() => patch({ tab: id })}>${label}</button>`,
      )}
    </div>
    ${body}
  </div>`;
}
