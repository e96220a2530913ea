// Visitor and session identity (spec §3.4). One record — anonymous_id, session_id, last activity,
// events sent in the session, user_id — kept in a first-party cookie `_tap` (default, expires after
// 13 months), in localStorage, or nowhere (`persistence: 'none'`, the cookieless mode: fresh ids per
// page load, so page views, clicks, scroll and per-page-view funnels still work). A session ends
// after `sessionTimeout` (30 min) without events; before rolling over, storage is re-read, because
// another tab may have kept the session alive.

import { cfg } from './config';
import { analyticsAllowed } from './consent';
import { uuid } from './env';

export interface Ids {
  /** anonymous_id */
  a: string;
  /** session_id */
  s: string;
  /** last activity, ms */
  t: number;
  /** events counted in this session (the per-session cap) */
  n: number;
  /** user_id from identify() */
  u: string;
}

const NAME = '_tap';
const COOKIE_AGE = 34186698; // 13 months + a day, in seconds (CNIL's ceiling for audience cookies)

let ids: Ids | undefined;

function parse(raw: string | null | undefined): Ids | undefined {
  if (!raw) return undefined;
  const p = decodeURIComponent(raw).split('.');
  if (p.length < 4 || p[0] !== '1' || !p[1] || !p[2]) return undefined;
  return { a: p[1], s: p[2], t: parseInt(p[3]!, 36) || 0, n: parseInt(p[4]!, 36) || 0, u: p.slice(5).join('.') };
}

function readStore(): Ids | undefined {
  try {
    if (cfg.persistence === 'localStorage') return parse(localStorage.getItem(NAME));
    if (cfg.persistence === 'cookie') {
      const m = /(?:^|;\s*)_tap=([^;]*)/.exec(document.cookie);
      return parse(m && m[1]);
    }
  } catch (e) {
    // storage blocked (sandboxed frame, privacy mode): behave as cookieless
  }
  return undefined;
}

function cookie(value: string, age: number): void {
  document.cookie =
    NAME + '=' + value + ';path=/;max-age=' + age + ';samesite=lax' +
    (cfg.cookieDomain ? ';domain=' + cfg.cookieDomain : '') +
    (location.protocol === 'https:' ? ';secure' : '');
}

/** Writes the current record to the configured store. */
export function persist(): void {
  if (!ids || !analyticsAllowed()) return; // nothing is stored without consent
  const v = encodeURIComponent(['1', ids.a, ids.s, ids.t.toString(36), ids.n.toString(36), ids.u].join('.'));
  try {
    if (cfg.persistence === 'localStorage') localStorage.setItem(NAME, v);
    else if (cfg.persistence === 'cookie') cookie(v, COOKIE_AGE);
  } catch (e) {
    // storage blocked: the ids live for this page load only
  }
}

/** Removes the record from both stores (consent withdrawn, switch to cookieless). */
export function clearStore(): void {
  try {
    localStorage.removeItem(NAME);
  } catch (e) {
    // nothing stored
  }
  try {
    cookie('', 0);
  } catch (e) {
    // nothing stored
  }
}

/**
 * The ids for an event at time `t`: loads them, rolls the session over after inactivity, counts
 * the event when `count`. Returns whether a new session started (not on a first-ever visit).
 */
export function session(t: number): { ids: Ids; rolled: boolean } {
  let rolled = false;
  if (!ids) ids = readStore() || { a: uuid(), s: uuid(), t, n: 0, u: '' };
  if (t - ids.t > cfg.sessionTimeout) {
    const stored = readStore();
    if (stored && stored.a === ids.a && t - stored.t <= cfg.sessionTimeout) ids = stored;
    else {
      ids.s = uuid();
      ids.n = 0;
      rolled = true;
    }
  }
  if (t > ids.t) ids.t = t;
  return { ids, rolled };
}

/** reset(): new anonymous_id and session, no user. */
export function resetIds(): void {
  ids = { a: uuid(), s: uuid(), t: Date.now(), n: 0, u: '' };
  persist();
}

/** Forgets the in-memory ids (the next event creates or reloads them). */
export function dropIds(): void {
  ids = undefined;
}
