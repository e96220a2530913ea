// "Sign out": ends this browser's dashboard session and shows the sign-in page. A failure (server
// unreachable) is said next to the button, and the session stays.
import { useState } from 'preact/hooks';
import { signOut } from '../api/client';
import { html } from '../html';

export function SignOutButton(props: { class?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = async () => {
    setBusy(true);
    setError('');
    try {
      await signOut();
      location.assign('/app/');
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return html`<span class="sign-out">
    <button type="button" class=${props.class ?? 'btn-link'} disabled=${busy} onClick=${run}>${busy ? 'Signing out…' : 'Sign out'}</button>
    ${error && html`<span class="error-text small" role="alert">${error}</span>`}
  </span>`;
}
