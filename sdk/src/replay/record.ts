// The session recorder (docs/replay.md): rrweb events — meta (4), full snapshot (2), incremental
// (3: mutation, mouse move, mouse interaction, scroll, viewport, input), custom markers (5) — so
// the player can be built on @rrweb/replay. The page is copied by the walker and masking policy
// the heatmap snapshot uses (snapshot/walk.ts, policy.ts).
//
// - The full snapshot is walked in idle slices (snapshot/idle.ts: no task over ~8 ms of work);
//   mutations meanwhile are buffered and applied after it (mutations.ts makes that exact); other
//   events meanwhile are held and sent after it. A new full snapshot is taken every 5 minutes
//   and after each navigation, so the player can seek without replaying from the start.
// - Inputs: never a keystroke, never a value — the length only, as '*'s; nothing at all for
//   password, card, cvv and similar fields (a password field switched to type=text stays one).
//   Checkboxes, radios and selects are not recorded. No clipboard.
// - A mutation storm (over STORM mutations in STORM_MS) pauses mutation recording with a
//   `tapistry.paused` marker; a minute later a new full snapshot resumes it.
// - Consent withdrawn or DNT (the core's replayAllowed turns false): everything stops and unsent
//   chunks are dropped. A new session (30 min idle) starts a new recording.
// Everything runs behind `guard`: the recorder never throws into the page.

import type { Config } from '../core/config';
import { redact } from '../core/pii';
import { policy } from '../snapshot/policy';
import { sliced } from '../snapshot/idle';
import { mutations } from './mutations';
import { newMirror, nodeWalker, type SNode } from './nodes';
import { loadState, sender, type Sender } from './send';

export interface ReplaySettings {
  rate: number;
  kb: number;
  allow: string[];
  mask: string[];
  ignore: string[];
}

/** What the core's hook (core/rec.ts) puts on the chunk's <script> element. */
export interface ReplayContext {
  c: Config;
  p: { url: string; path: string };
  s: Record<string, number>;
  l: (...a: unknown[]) => void;
  /** route-change listeners (core/router.ts) */
  h: Array<() => void>;
  r: ReplaySettings;
  /** replay may record now (consent, DNT) */
  o: () => boolean;
  /** the session: q(0).ids.s is its id */
  q: (t: number) => { ids: { s: string } };
}

export const FULL_EVERY_MS = 5 * 60000;
export const STORM = 10000;
export const STORM_MS = 60000;
const MOVE_SAMPLE_MS = 50;
const MOVE_FLUSH_MS = 500;
const SCROLL_MS = 100;
/** Field names and autocomplete tokens of secrets: never recorded, not even their length. */
const SECRET = /pass|card|cc-?num|cc-?csc|cvv|cvc|csc|iban|ssn|one-time|otp|pin(?:code)?$/i;
const TEXTLIKE = /^(?:|text|email|search|tel|url|number|date|datetime-local|month|week|time)$/;

/** rrweb EventType / IncrementalSource / MouseInteractions */
const FULL = 2;
const INCR = 3;
const META = 4;
const CUSTOM = 5;
const MOUSE_INTERACTION: Record<string, number> = { click: 2, contextmenu: 3, dblclick: 4, touchstart: 7, touchend: 9 };

type Rec = { type: number; data: unknown; timestamp: number };

export function record(ctx: ReplayContext): () => void {
  const c = ctx.c;
  const doc = document;
  const log = ctx.l;
  const join = (a: string[]): string | undefined => (a && a.length ? a.join(',') : undefined);
  const pol = policy(doc, {
    maskText: c.maskText, queryAllowlist: c.queryAllowlist,
    allow: join(ctx.r.allow), mask: join(ctx.r.mask), ignore: join(ctx.r.ignore), sheets: true,
  });
  const url = c.endpoint.replace(/\/i$/, '') + '/r?k=' + encodeURIComponent(c.key);
  const sid = (): string => ctx.q(0).ids.s;
  let session = sid();
  let m = newMirror();
  let snd: Sender;
  let stopped = false;
  /** a full snapshot is being walked: incremental events wait in `held` */
  let snapping = false;
  let held: Rec[] = [];
  let pending: MutationRecord[] = [];
  let mutTimer = 0;
  let paused = false;
  let stormStart = 0;
  let stormCount = 0;
  let lastFull = 0;
  let lastHref = '';
  const secret = new WeakSet<Element>();
  const timers: number[] = [];

  const guard = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A): void => {
    if (stopped) return;
    try {
      fn(...a);
    } catch (e) {
      ctx.s.errors = (ctx.s.errors || 0) + 1;
      log('replay: error', e);
    }
  };

  function stop(): void {
    if (stopped) return;
    stopped = true;
    mo.disconnect();
    for (let i = 0; i < timers.length; i++) clearInterval(timers[i]);
    log('replay: stopped');
  }

  function emit(type: number, data: unknown, t = Date.now()): void {
    if (!ctx.o()) {
      snd.stop();
      return stop();
    }
    if (snapping && type !== FULL && type !== META) held.push({ type, data, timestamp: t });
    else if (!snd.push({ type, data, timestamp: t })) stop();
  }
  const incr = (data: object, t?: number): void => emit(INCR, data, t);
  const mark = (tag: string, payload: object): void => emit(CUSTOM, { tag, payload });

  function newSender(): void {
    snd = sender({
      url, key: c.key, session, cap: Math.max(64, ctx.r.kb || 3072) * 1024, log,
      over: () => {
        log('replay: session over its budget, truncated');
        stop();
      },
    });
  }

  // ---- mutations
  function processMutations(): void {
    clearTimeout(mutTimer);
    mutTimer = 0;
    const recs = pending.concat(mo.takeRecords());
    pending = [];
    if (!recs.length || paused) return;
    const d = mutations(recs, m, pol);
    if (d) incr(d);
  }

  const mo = new MutationObserver(guard((recs: MutationRecord[]) => {
    if (paused) return;
    const now = Date.now();
    if (now - stormStart > STORM_MS) {
      stormStart = now;
      stormCount = 0;
    }
    stormCount += recs.length;
    if (stormCount > STORM) return pause(stormCount);
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i]!;
      // a password field stays secret after a switch to type=text
      if (r.attributeName === 'type' && r.oldValue === 'password') secret.add(r.target as Element);
      pending.push(r);
    }
    // coalesced: one mutation event per 100 ms at most
    if (!snapping && !mutTimer) mutTimer = setTimeout(guard(processMutations), 100) as unknown as number;
  }));
  const observe = (): void =>
    mo.observe(doc, { childList: true, subtree: true, attributes: true, attributeOldValue: true, characterData: true });

  function pause(count: number): void {
    paused = true;
    mo.disconnect();
    pending = [];
    clearTimeout(mutTimer);
    mutTimer = 0;
    mark('tapistry.paused', { reason: 'mutations', count });
    log('replay: mutation storm, paused');
    setTimeout(guard(() => {
      paused = false;
      void full();
    }), STORM_MS);
  }

  // ---- full snapshots
  async function full(): Promise<void> {
    if (snapping || stopped || paused) return;
    if (!snapping) processMutations();
    snapping = true;
    held = [];
    const t0 = Date.now();
    lastFull = t0;
    m = newMirror(m.next);
    observe();
    const out: { node?: SNode } = {};
    const w = nodeWalker(doc, pol, m, 0, out);
    const inputs = doc.querySelectorAll('input[type=password]');
    for (let i = 0; i < inputs.length; i++) secret.add(inputs[i]!);
    await sliced(guardStep(w.step));
    if (stopped) return;
    snapping = false;
    lastHref = ctx.p.url || location.origin + location.pathname;
    emit(META, { href: lastHref, width: innerWidth, height: innerHeight }, t0);
    emit(FULL, { node: out.node, initialOffset: { left: scrollX, top: scrollY } }, t0);
    const h = held;
    held = [];
    for (let i = 0; i < h.length; i++) emit(h[i]!.type, h[i]!.data, h[i]!.timestamp);
    processMutations();
    snd.flush();
  }
  const guardStep = (step: () => boolean) => (): boolean => {
    if (stopped) return true;
    return step();
  };

  // ---- user activity
  const idOf = (t: EventTarget | null): number | undefined => {
    for (let n = t as Node | null; n; n = n.parentNode) {
      const id = m.id.get(n);
      if (id !== undefined) return m.ph.has(n) && n !== t ? undefined : id;
    }
    return undefined;
  };
  const on = (target: EventTarget, type: string, fn: (e: any) => void): void =>
    target.addEventListener(type, guard(fn), { capture: true, passive: true });

  let moves: Array<{ x: number; y: number; id: number; t: number }> = [];
  let lastMove = 0;
  on(doc, 'mousemove', (e: MouseEvent) => {
    const t = Date.now();
    if (t - lastMove < MOVE_SAMPLE_MS) return;
    const id = idOf(e.target);
    if (id === undefined) return;
    lastMove = t;
    moves.push({ x: e.clientX, y: e.clientY, id, t });
  });
  const flushMoves = (): void => {
    if (!moves.length) return;
    const t = Date.now();
    const positions = moves.map((p) => ({ x: p.x, y: p.y, id: p.id, timeOffset: p.t - t }));
    moves = [];
    incr({ source: 1, positions }, t);
  };
  for (const type in MOUSE_INTERACTION) {
    on(doc, type, (e: MouseEvent & TouchEvent) => {
      const id = idOf(e.target);
      if (id === undefined) return;
      const pt = e.changedTouches ? e.changedTouches[0] : e;
      flushMoves();
      incr({ source: 2, type: MOUSE_INTERACTION[type], id, x: pt ? pt.clientX : 0, y: pt ? pt.clientY : 0 });
    });
  }
  const scrolled = new Map<number, number>();
  on(doc, 'scroll', (e: Event) => {
    const tgt = e.target === doc ? doc : (e.target as Element);
    const id = idOf(tgt);
    if (id === undefined || scrolled.has(id)) return;
    scrolled.set(id, setTimeout(guard(() => {
      scrolled.delete(id);
      const se = doc.scrollingElement || doc.documentElement;
      const el = tgt === doc ? se : (tgt as Element);
      incr({ source: 3, id, x: el.scrollLeft, y: el.scrollTop });
    }), SCROLL_MS) as unknown as number);
  });
  let resizeTimer = 0;
  on(window, 'resize', () => {
    if (resizeTimer) return;
    resizeTimer = setTimeout(guard(() => {
      resizeTimer = 0;
      incr({ source: 4, width: innerWidth, height: innerHeight });
    }), 200) as unknown as number;
  });
  const onInput = (e: Event): void => {
    const el = e.target as HTMLInputElement;
    if (!el || !el.getAttribute) return;
    const tag = el.localName;
    const type = (el.getAttribute('type') || '').toLowerCase();
    const names = (el.getAttribute('autocomplete') || '') + ' ' + (el.getAttribute('name') || '') + ' ' + (el.id || '');
    if (type === 'password' || secret.has(el) || SECRET.test(names.trim()) || SECRET.test(el.getAttribute('name') || '')) {
      secret.add(el);
      return;
    }
    const id = idOf(el);
    if (id === undefined || m.id.get(el) !== id) return;
    if (tag === 'textarea' || (tag === 'input' && TEXTLIKE.test(type))) {
      // the length only: never a character of the value
      incr({ source: 5, text: '*'.repeat(Math.min(el.value.length, 1000)), isChecked: false, id });
    }
  };
  on(doc, 'input', onInput);
  on(doc, 'change', onInput);
  on(document, 'visibilitychange', () => {
    const hidden = doc.visibilityState === 'hidden';
    mark('tapistry.visibility', { hidden });
    flushMoves();
    if (hidden) snd.flush();
  });
  on(window, 'pagehide', () => {
    flushMoves();
    processMutations();
    snd.unload();
  });
  on(window, 'error', (e: ErrorEvent) => {
    mark('tapistry.error', { message: redact(String(e.message || '')).slice(0, 300) });
  });
  // navigations: a new full snapshot once the route settled
  let navTimer = 0;
  ctx.h.push(guard(() => {
    clearTimeout(navTimer);
    navTimer = setTimeout(guard(() => {
      if ((ctx.p.url || location.href) !== lastHref) void full();
    }), 500) as unknown as number;
  }));
  timers.push(setInterval(guard(() => {
    flushMoves();
    // a new session (30 min idle, reset()): a new recording
    const s = sid();
    if (s !== session) {
      snd.flush();
      session = s;
      newSender();
      void full();
    } else if (Date.now() - lastFull >= FULL_EVERY_MS) void full();
  }), MOVE_FLUSH_MS) as unknown as number);

  newSender();
  if (loadState(session).x) {
    log('replay: this session was truncated before');
    stop();
  } else {
    log('replay: recording', session);
    void full();
  }
  return stop;
}
