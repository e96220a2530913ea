// A real <a href> to another state of the dashboard (so it can be opened in a new tab, copied and
// shared) that navigates in place on a plain click.
import type { ComponentChildren } from 'preact';
import { html } from '../html';
import { type AppState, build } from '../lib/url-state';
import { navigate } from '../store';

export function Link(props: { to: AppState; class?: string; children?: ComponentChildren; title?: string; current?: boolean; label?: string }) {
  const href = build(props.to);
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.to);
  };
  return html`<a href=${href} class=${props.class} title=${props.title} aria-label=${props.label}
    aria-current=${props.current ? 'page' : undefined} onClick=${onClick}>${props.children}</a>`;
}
