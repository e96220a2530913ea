// Bookmarklet mode: creates a bookmarklet token (POST /api/bookmarklet-token: reads only this
// project's heatmap, scroll map, element counts and snapshot, for 15 minutes, ends with this
// session), and shows the bookmarklet to drag to the bookmarks bar, with its expiry and the steps.
// The page to open comes from the project's allowed origins only (lib/live-url.ts), never from
// a snapshot's url.
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError, post } from '../api/client';
import type { BookmarkletToken } from '../api/types';
import { html } from '../html';
import { bookmarkletCode } from '../lib/bookmarklet-code';
import type { DayRange } from '../lib/dates';
import type { AppState } from '../lib/url-state';
import { Icon } from './icons';
import { CopyButton } from './snippet';
import { ErrorPanel } from './states';

/** The token's lifetime the server promises (docs/api.md); the answer's ttl_ms when it has one. */
const TTL_MIN = 15;

export function BookmarkletPanel(props: { s: AppState; range: DayRange; pageUrl: string }) {
  const { s } = props;
  const [tok, setTok] = useState<BookmarkletToken | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const link = useRef<HTMLAnchorElement>(null);
  const create = async () => {
    setBusy(true);
    setErr(null);
    try {
      setTok(await post<BookmarkletToken>('/api/bookmarklet-token', { project_id: s.project }));
    } catch (e) {
      setErr(e as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const code = tok
    ? bookmarkletCode({ server: location.origin, token: tok.token, project_id: s.project, from: props.range.from, to: props.range.to, device: s.device || undefined, vw: s.vw || undefined, kind: s.kind, scale: s.scale })
    : '';
  // A javascript: URL is set directly on the element: it is built from JSON-encoded values only.
  useEffect(() => {
    if (link.current && code) link.current.setAttribute('href', code);
  }, [code]);
  useEffect(() => setTok(null), [s.project]);
  const until = tok ? new Date(tok.expires_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
  const minutes = tok?.ttl_ms ? Math.round(tok.ttl_ms / 60000) : TTL_MIN;
  return html`<section class="card bookmarklet-panel" aria-labelledby="bm-h">
    <h2 id="bm-h">Bookmarklet: the heatmap over your live page</h2>
    <p>For sites that block embedding, or to see the heatmap exactly as your visitors see the page. The bookmarklet loads a
      small script from this server that draws the same heatmap over the page you are on.</p>
    <ol class="steps">
      <li>${tok ? 'Drag this button to your bookmarks bar:' : `Create a bookmarklet. It carries a token valid for ${minutes} minutes.`}</li>
      <li>Open the page on your site${props.pageUrl
        ? html` — <a href=${props.pageUrl} target="_blank" rel="noopener noreferrer" class="bm-page">${props.pageUrl} <${Icon} name="external" size=${12} /></a>`
        : html` <span class="muted">(add your site to the project's allowed origins to get a link here)</span>`}.</li>
      <li>Click the bookmark. Press Esc or × to remove the overlay.</li>
    </ol>
    ${err && html`<${ErrorPanel} error=${err} retry=${create} what="The bookmarklet token" />`}
    ${!tok
      ? html`<button type="button" class="btn btn-primary" disabled=${busy} onClick=${create}>${busy ? 'Creating…' : 'Create bookmarklet'}</button>`
      : html`<div class="bm-row">
          <a ref=${link} class="btn btn-primary bookmarklet-link" draggable="true" onClick=${(e: Event) => e.preventDefault()}
            title="Drag me to your bookmarks bar">Tapistry heatmap</a>
          <${CopyButton} text=${code} label="Copy code" />
          <span class="muted small" data-expires=${tok.expires_at}>Valid until ${until}</span>
        </div>`}
    <p class="hint bm-scope">The bookmarklet's token can read this project's heatmap, scroll map, element counts and page snapshot — nothing
      else — for ${minutes} minutes, and stops working when you sign out. Whoever has its code can read the same
      until then: keep it to yourself.</p>
    <p class="hint">If your site's Content-Security-Policy blocks scripts or frames from ${location.origin}, the bookmarklet cannot work there:
      use the snapshot instead.</p>
  </section>`;
}
