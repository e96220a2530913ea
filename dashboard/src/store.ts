// The app state is the URL: this module reads it, changes it (pushState), and lets components
// subscribe. Components call navigate() instead of keeping their own copies of shared state.

import { useEffect, useState } from 'preact/hooks';
import { type AppState, build, parse } from './lib/url-state';

type Listener = (s: AppState) => void;
const listeners = new Set<Listener>();
let current: AppState = parse(location.pathname, location.search);

export function state(): AppState {
  return current;
}

function emit(): void {
  for (const l of listeners) l(current);
}

/** Moves to `next` (a new history entry unless `replace`). Scroll resets on a change of page. */
export function navigate(next: AppState, opts: { replace?: boolean } = {}): void {
  const url = build(next);
  const routeChanged = next.route !== current.route;
  current = parse(new URL(url, location.href).pathname, new URL(url, location.href).search);
  // keep a not-found route as it was typed
  if (next.route === 'notfound') current = { ...current, route: 'notfound' };
  if (url !== location.pathname + location.search) {
    if (opts.replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
  }
  if (routeChanged) window.scrollTo(0, 0);
  emit();
}

export function patch(p: Partial<AppState>, opts: { replace?: boolean } = {}): void {
  navigate({ ...current, ...p }, opts);
}

window.addEventListener('popstate', () => {
  current = parse(location.pathname, location.search);
  emit();
});

export function useAppState(): AppState {
  const [s, set] = useState(current);
  useEffect(() => {
    const l = (n: AppState) => set(n);
    listeners.add(l);
    set(current);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return s;
}

/** Remembered choices (last project, last period per project): localStorage, never required. */
export function remember(key: string, value: string): void {
  try {
    localStorage.setItem('tapistry.' + key, value);
  } catch {
    // storage disabled: nothing to remember
  }
}
export function recall(key: string): string | null {
  try {
    return localStorage.getItem('tapistry.' + key);
  } catch {
    return null;
  }
}

/** The project list changed (created, renamed, deleted, key rotated): the root loads it again. */
const projectLoaders = new Set<() => Promise<void>>();
export function onProjectsChanged(load: () => Promise<void>): () => void {
  projectLoaders.add(load);
  return () => projectLoaders.delete(load);
}
export async function refreshProjects(): Promise<void> {
  await Promise.all([...projectLoaders].map((l) => l()));
}
