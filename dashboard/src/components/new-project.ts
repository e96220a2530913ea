// "New project": a name and (optionally) the site's origin → POST /api/projects. The answer holds
// the project's read token, shown once here with a copy button; then the new project's Install tab.
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError, post } from '../api/client';
import type { Project } from '../api/types';
import { html } from '../html';
import { patch, refreshProjects } from '../store';
import { CopyButton } from './snippet';

interface Created {
  project: Project;
  read_token: string;
}

/**
 * `deferList`: the caller is the no-projects page, which the reloaded list would replace (and the
 * token with it): the list is loaded when the user is done with the token.
 */
export function NewProjectForm(props: { onCancel?: () => void; onDone?: () => void; deferList?: boolean }) {
  const [name, setName] = useState('');
  const [origin, setOrigin] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [created, setCreated] = useState<Created | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const land = async (c: Created) => {
    // the list first, so that the new project is known when the URL names it
    await refreshProjects();
    patch({ project: c.project.id, route: 'settings', tab: 'install', path: '' });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const o = origin.trim();
      const c = await post<Created>('/api/projects', { name: name.trim(), ...(o ? { allowed_origins: [o] } : {}) });
      setCreated(c);
      if (!props.deferList) await land(c);
    } catch (err) {
      setError((err as ApiError).message);
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    return html`<div class="new-project-done" role="status">
      <p><strong>“${created.project.name}” is ready.</strong> Its read token lets scripts read this project’s statistics
        (the API, exports). It is shown only this once: keep it somewhere safe.</p>
      <div class="token-row"><code class="read-token">${created.read_token}</code> <${CopyButton} text=${created.read_token} label="Copy token" /></div>
      <p class="muted small">Next: put the snippet on your site (below) and verify the installation.</p>
      <button type="button" class="btn btn-primary" onClick=${async () => {
        if (props.deferList) await land(created);
        props.onDone?.();
      }}>${props.deferList ? 'Continue to install' : 'Done'}</button>
    </div>`;
  }
  return html`<form class="new-project-form" onSubmit=${submit} noValidate>
    <label for="np-name">Project name</label>
    <input id="np-name" ref=${first} type="text" required maxlength="200" placeholder="My site" value=${name}
      onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
    <label for="np-origin">Site origin <span class="muted small">(optional)</span></label>
    <input id="np-origin" type="url" placeholder="https://www.example.com" value=${origin}
      onInput=${(e: Event) => setOrigin((e.target as HTMLInputElement).value)} aria-describedby="np-origin-help" />
    <p id="np-origin-help" class="muted small">Only pages from this origin may send events. Leave empty to allow any site for now; you can change it in Settings.</p>
    ${error && html`<p class="error-text small" role="alert">${error}</p>`}
    <div class="form-actions">
      <button type="submit" class="btn btn-primary" disabled=${busy || !name.trim()}>${busy ? 'Creating…' : 'Create project'}</button>
      ${props.onCancel && html`<button type="button" class="btn" onClick=${props.onCancel}>Cancel</button>`}
    </div>
  </form>`;
}

/** A modal dialog holding the form (from the project switcher). Esc or Cancel closes it. */
export function NewProjectDialog(props: { onClose: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') props.onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return html`<div class="modal-backdrop">
    <div class="modal card" role="dialog" aria-modal="true" aria-labelledby="np-h">
      <h2 id="np-h">New project</h2>
      <${NewProjectForm} onCancel=${props.onClose} onDone=${props.onClose} />
    </div>
  </div>`;
}
