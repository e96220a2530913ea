// Shown when there is no dashboard session (GET /api/me → 401).
import { html } from '../html';

export function SignInPage() {
  return html`<div class="center-page">
    <main class="card signin" id="main">
      <div class="brand big"><span class="brand-mark" aria-hidden="true"></span>Tapistry</div>
      <h1>Sign in with the link printed by <code>tapistry serve</code></h1>
      <p>Tapistry has no passwords. When the server starts it prints a one-time sign-in link; open it in this browser.</p>
      <p>Lost it? On the server, run:</p>
      <pre class="code"><code>tapistry signin-link --data DIR</code></pre>
      <p class="muted small">Each link works once and expires after a short while. Your session then lasts on this browser.</p>
      <button type="button" class="btn" onClick=${() => location.reload()}>I have signed in — reload</button>
    </main>
  </div>`;
}

export function NoProjects() {
  return html`<div class="center-page">
    <main class="card signin" id="main">
      <h1>No projects yet</h1>
      <p>Create one on the server, with the origin of your site:</p>
      <pre class="code"><code>tapistry project create --data DIR --name "My site" --origin https://example.com</code></pre>
      <button type="button" class="btn" onClick=${() => location.reload()}>Reload</button>
    </main>
  </div>`;
}
