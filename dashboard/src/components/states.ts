// Loading, error and empty states (UX.md §2): skeletons in the final shape, a plain sentence with
// Retry kept inside the panel, and empty states that say why and what to do next.
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api/client';
import { html } from '../html';
import { Icon } from './icons';

export function Skeleton(props: { lines?: number; height?: number; class?: string }) {
  const n = props.lines ?? 1;
  return html`<div class=${'skeleton-block ' + (props.class ?? '')} aria-hidden="true">
    ${Array.from({ length: n }, (_, i) => html`<div class="skeleton" style=${{ height: (props.height ?? 14) + 'px', width: 100 - ((i * 37) % 45) + '%' }}></div>`)}
  </div>`;
}

export function Spinner(props: { label?: string }) {
  return html`<span class="spinner" role="status" aria-label=${props.label ?? 'Loading'}></span>`;
}

export function ErrorPanel(props: { error: ApiError | Error; retry?: () => void; what?: string }) {
  const missing = (props.error as ApiError).missing;
  return html`<div class="state state-error" role="alert">
    <p class="state-title">${missing ? `${props.what ?? 'This panel'} isn't available on this server yet` : `${props.what ?? 'This panel'} couldn't be loaded`}</p>
    <p class="state-text">${missing ? 'The server does not have this endpoint. Update Tapistry to a build with it, then retry.' : props.error.message}</p>
    ${props.retry && html`<button type="button" class="btn" onClick=${props.retry}>Retry</button>`}
  </div>`;
}

export function Empty(props: { title: string; children?: ComponentChildren; icon?: string }) {
  return html`<div class="state state-empty">
    ${props.icon && html`<div class="state-icon" aria-hidden="true"><${Icon} name=${props.icon} size=${28} /></div>`}
    <p class="state-title">${props.title}</p>
    <div class="state-text">${props.children}</div>
  </div>`;
}
