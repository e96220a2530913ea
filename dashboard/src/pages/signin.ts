// Shown when there is no dashboard session (GET /api/me → 401): sign in by email (a one-time link,
// docs/accounts.md), or with the link the server printed.
import { useState } from 'preact/hooks';
import { NewProjectForm } from '../components/new-project';
import { SignOutButton } from '../components/sign-out';
import { html } from '../html';
import { requestError } from '../lib/accounts';

type AskState =
  | { kind: 'idle' }
  | { kind: 'sending' }
  | { kind: 'sent'; email: string }
  | { kind: 'error'; message: string };

async function askForLink(email: string): Promise<AskState> {
  let r: Response;
  try {
    r = await fetch('/auth/request', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ email }),
    });
  } catch {
    return { kind: 'error', message: requestError(0, '', 0) };
  }
  if (r.status === 202) return { kind: 'sent', email };
  let reason = '';
  try {
    reason = ((await r.json()) as { reason?: string }).reason ?? '';
  } catch {
    // not JSON: the status says enough
  }
  return { kind: 'error', message: requestError(r.status, reason, Number(r.headers.get('Retry-After') ?? '60')) };
}

export function SignInPage() {
  const [email, setEmail] = useState('');
  const [state, setState] = useState<AskState>({ kind: 'idle' });
  const submit = async (e: Event) => {
    e.preventDefault();
    if (state.kind === 'sending') return;
    setState({ kind: 'sending' });
    setState(await askForLink(email.trim()));
  };
  if (state.kind === 'sent') {
    return html`<div class="center-page">
      <main class="card signin" id="main">
        <div class="brand big"><span class="brand-mark" aria-hidden="true"></span>Tapistry</div>
        <h1 id="check-email" tabindex="-1">Check your email</h1>
        <p role="status">If <strong>${state.email}</strong> belongs to a Tapistry user, a sign-in link is on its way.</p>
        <p>Open it <strong>in this browser</strong>: it works once, for 15 minutes. Then press “Sign in” on the page it opens.</p>
        <p class="muted small">Nothing arrived? Check your spam folder, or
          <button type="button" class="btn-link" onClick=${() => setState({ kind: 'idle' })}>use another address</button>.</p>
      </main>
    </div>`;
  }
  const sending = state.kind === 'sending';
  return html`<div class="center-page">
    <main class="card signin" id="main">
      <div class="brand big"><span class="brand-mark" aria-hidden="true"></span>Tapistry</div>
      <h1>Sign in</h1>
      <p>Tapistry has no passwords. Enter your email and we will send you a one-time sign-in link.</p>
      <form class="signin-form" onSubmit=${submit} noValidate>
        <label for="signin-email">Email</label>
        <div class="signin-row">
          <input id="signin-email" type="email" name="email" autocomplete="email" required placeholder="you@example.com"
            value=${email} onInput=${(e: Event) => setEmail((e.target as HTMLInputElement).value)}
            aria-invalid=${state.kind === 'error' ? 'true' : 'false'} aria-describedby=${state.kind === 'error' ? 'signin-error' : undefined} />
          <button type="submit" class="btn btn-primary" disabled=${sending || !email.trim()}>${sending ? 'Sending…' : 'Email me a link'}</button>
        </div>
        ${state.kind === 'error' && html`<p id="signin-error" class="error-text small" role="alert">${state.message}</p>`}
      </form>
      <details class="signin-more">
        <summary>Running the server yourself?</summary>
        <p>When <code>tapistry serve</code> starts it prints a one-time owner sign-in link; open it in this browser. Lost it? On the server, run:</p>
        <pre class="code"><code>tapistry signin-link --data DIR</code></pre>
      </details>
    </main>
  </div>`;
}

/** Signed in, member of no project (an invitation removed, or a fresh server): create one. */
export function NoProjects() {
  return html`<div class="center-page">
    <main class="card signin" id="main">
      <h1>No projects yet</h1>
      <p>You are signed in, but you are not a member of any project. If you expected one, ask its owner to add
        your address under Settings → Members. Or create a project for your own site:</p>
      <${NewProjectForm} deferList=${true} />
      <p class="muted small"><${SignOutButton} class="btn-link small" /></p>
    </main>
  </div>`;
}
