// The public API (spec §3.3) and start-up. The snippet defines `tapistry()` as a stub that queues
// its arguments in `tapistry.q`; on load the SDK applies the queued state commands (config,
// setConsent, debug, identify, reset) first, so that they govern the first page view, then starts,
// then replays the queued event commands (track, page) in order.

import { analyticsAllowed, consent, dnt } from './consent';
import { cfg, setConfig } from './config';
import { guard, log, on, setDebug, stats } from './env';
import { emit, hooks } from './events';
import { clearStore, dropIds, persist, resetIds, session } from './ids';
import { endClicks, noteChange, watchClicks } from './clicks';
import { measure, watchLayout } from './layout';
import { watchMoves } from './moves';
import { hasPii } from './pii';
import { currentUrl, pageView, routeHooks, setPage, watchRoutes } from './router';
import { endScroll } from './scroll';
import { cleanProps, cut } from './sanitize';
import { chunk } from './snap';
import { discard, flush, queued, watchNetwork } from './transport';

type Args = ArrayLike<unknown>;
type Tapistry = ((...args: unknown[]) => void) & { q?: Args[]; loaded?: boolean; stats?: () => object };

const STATE = ['config', 'setConsent', 'debug', 'identify', 'reset'];
let started = false;
let viewed = false;
let afterStart: Array<() => void> = [];

function runAfterStart(): void {
  const fns = afterStart;
  afterStart = [];
  fns.forEach((f) => f());
}

function firstView(): void {
  if (viewed || !analyticsAllowed()) return;
  viewed = true;
  if (cfg.autoPageviews) pageView();
  else setPage(currentUrl());
}

function applyPersistence(): void {
  if (cfg.persistence === 'none') clearStore();
  dropIds();
}

/** tapistry('config', o); also the project's options in the server's answers (transport.ts). */
export function configure(o: unknown): void {
  const before = cfg.persistence;
  setConfig(o);
  if (cfg.persistence !== before) applyPersistence();
  if (started) firstView();
}

/** Runs one command, its arguments as the snippet's stub received them. */
const run = (args: Args): void => guard(command)(args[0], args[1], args[2]);

function command(name: unknown, a?: unknown, b?: unknown): void {
  switch (name) {
    case 'config':
      configure(a);
      break;
    case 'setConsent': {
      const c = (a || {}) as { analytics?: unknown; replay?: unknown };
      if (typeof c.analytics === 'boolean') consent.analytics = c.analytics;
      if (typeof c.replay === 'boolean') consent.replay = c.replay;
      if (consent.analytics === false) {
        // withdrawn: forget everything unsent and everything stored
        discard();
        clearStore();
        dropIds();
        viewed = false;
      } else if (started) firstView();
      break;
    }
    case 'debug':
      setDebug(a !== false);
      break;
    case 'identify': {
      if (typeof a !== 'string' && typeof a !== 'number') break;
      const id = cut(String(a), 256);
      if (hasPii(id)) {
        log('identify: PII');
        break;
      }
      const s = session(Date.now()).ids;
      const changedId = s.u !== id;
      s.u = id;
      persist();
      const traits = cleanProps(b);
      // before start-up (queued in the snippet) the event waits for the first page view
      if (changedId || traits) afterStart.push(() => emit('custom', { name: '$identify', props: traits }));
      if (started) runAfterStart();
      break;
    }
    case 'track':
      if (typeof a === 'string' && a) emit('custom', { name: cut(hasPii(a) ? '[redacted]' : a, 128), props: cleanProps(b) });
      break;
    case 'page':
      if (started && analyticsAllowed()) {
        viewed = true;
        const s = typeof a === 'string' ? a : '';
        const path = s.charAt(0) === '/';
        pageView(path ? s : undefined, path ? undefined : s || undefined, b);
      }
      break;
    case 'reset':
      resetIds();
      break;
    case 'flush':
      flush();
      break;
    default:
      log('?', name);
  }
}

/** Ends the current page view: pending clicks, the final scroll event, everything sent. */
function leave(): void {
  endClicks();
  endScroll();
  flush(true);
}

function start(): void {
  started = true;
  if (dnt()) {
    log('DNT: off');
    return;
  }
  measure();
  watchLayout();
  watchNetwork();
  watchRoutes();
  watchClicks();
  watchMoves();
  routeHooks.push(noteChange);
  hooks.rolled = () => pageView();
  on(document, 'visibilitychange', () => {
    if (document.visibilityState === 'hidden') leave();
  });
  on(window, 'pagehide', leave);
  on(window, 'blur', noteChange);
  on(window, 'pageshow', (e: PageTransitionEvent) => {
    if (e.persisted && analyticsAllowed()) pageView(); // back/forward cache: a new page view
  });
  firstView();
}

/** Boots the SDK on this page; `scriptUrl` is the ESM build's import.meta.url. */
export function boot(scriptUrl?: string): Tapistry | undefined {
  const w = window as unknown as { tapistry?: Tapistry };
  const prev = w.tapistry;
  if (prev && prev.loaded) return prev;
  const api: Tapistry = function () {
    // eslint-disable-next-line prefer-rest-params
    run(arguments);
  };
  api.loaded = true;
  api.stats = () => Object.assign({ queued: queued() }, stats);
  guard(() => {
    const script = (document.currentScript ||
      document.querySelector('script[data-project]')) as HTMLScriptElement | null;
    const data = (script && script.dataset) || {};
    cfg.key = data.project || '';
    const src = scriptUrl || (script && script.src) || '';
    try {
      cfg.endpoint = data.endpoint || (src ? new URL(src).origin + '/i' : '');
    } catch (e) {
      cfg.endpoint = '';
    }
    if (data.persistence) setConfig({ persistence: data.persistence });
    if (data.snapshots == 'false') cfg.snapshots = false;
    const queue = (prev && prev.q) || [];
    const rest: Args[] = [];
    for (const args of queue) {
      if (STATE.indexOf(args[0] as string) >= 0) run(args);
      else rest.push(args);
    }
    w.tapistry = api;
    start();
    runAfterStart();
    rest.forEach(run);
    // Framed (the dashboard's live overlay, docs/sdk.md): load the handshake chunk. It reports
    // geometry only, to a parent on the endpoint's origin, and collects nothing, so it is not behind
    // DNT or consent. Last: where inserting a script throws (Trusted Types), nothing else is skipped.
    if (top != self && cfg.endpoint) chunk('frame', cfg);
    log('ready', cfg);
  })();
  if (!w.tapistry || !w.tapistry.loaded) w.tapistry = api;
  return api;
}
