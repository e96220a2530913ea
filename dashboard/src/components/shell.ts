// The frame around every page: brand, project switcher and navigation (a sidebar on wide screens,
// a top bar with a tab row on phones), sign out, a skip link, and the page's main landmark.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Project } from '../api/types';
import { html } from '../html';
import { type AppState, type Route, ROUTES } from '../lib/url-state';
import { patch } from '../store';
import { Icon } from './icons';
import { Link } from './link';
import { NewProjectDialog } from './new-project';
import { SignOutButton } from './sign-out';

const LABEL: Record<Route, string> = {
  overview: 'Overview',
  heatmaps: 'Heatmaps',
  replays: 'Replays',
  funnels: 'Funnels',
  settings: 'Settings',
  notfound: 'Not found',
};

export function routeLabel(r: Route): string {
  return LABEL[r];
}

function roleLabel(p: Project): string {
  return p.role === 'owner' ? 'owner' : p.role === 'member' ? 'member' : '';
}

/** The user's projects (with their role in each) and "New project…". */
export function ProjectSwitcher(props: { projects: Project[]; s: AppState }) {
  const { projects, s } = props;
  const [creating, setCreating] = useState(false);
  const current = projects.find((p) => p.id === s.project);
  return html`<div class="project-switch-row">
    <label class="project-switch"><span class="sr-only">Project</span>
      <select value=${current ? s.project : ''} onChange=${(e: Event) => patch({ project: (e.target as HTMLSelectElement).value, path: '' })}>
        ${!current && html`<option value="">No project</option>`}
        ${projects.map((p) => html`<option value=${p.id}>${p.name}${roleLabel(p) ? ` (${roleLabel(p)})` : ''}</option>`)}
      </select>
    </label>
    <button type="button" class="btn btn-icon btn-small new-project-btn" title="New project" aria-label="New project" onClick=${() => setCreating(true)}>+</button>
    ${creating && html`<${NewProjectDialog} onClose=${() => setCreating(false)} />`}
  </div>`;
}

export function Shell(props: { s: AppState; projects: Project[]; children?: ComponentChildren }) {
  const { s } = props;
  return html`<div class="shell">
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="sidebar">
      <div class="brand-row">
        <a class="brand" href="/app/" aria-label="Tapistry home"><span class="brand-mark" aria-hidden="true"></span>Tapistry</a>
        <${ProjectSwitcher} projects=${props.projects} s=${s} />
      </div>
      <nav class="nav" aria-label="Main">
        ${ROUTES.map(
          (r) => html`<${Link} to=${{ ...s, route: r }} class=${'nav-link' + (s.route === r ? ' active' : '')} current=${s.route === r}>
            <${Icon} name=${r} /><span>${LABEL[r]}</span>
          <//>`,
        )}
      </nav>
      <div class="sidebar-foot">
        <span class="muted small">Times in UTC</span>
        <${SignOutButton} class="btn-link small" />
      </div>
    </header>
    <main id="main" class="main" tabindex="-1">${props.children}</main>
  </div>`;
}

export function PageHeader(props: { title: string; sub?: ComponentChildren; children?: ComponentChildren }) {
  return html`<div class="page-header">
    <div class="page-title-row">
      <h1>${props.title}</h1>
      ${props.sub && html`<div class="page-sub">${props.sub}</div>`}
    </div>
    ${props.children}
  </div>`;
}
