// Gates (spec §3.4): Do Not Track / Global Privacy Control, the consent API and session sampling.
// Consent is kept in memory only: a consent-management platform calls setConsent on every page.

import { cfg } from './config';
import { fnv1a64 } from './hash';

export const consent: { analytics?: boolean; replay?: boolean } = {};

/**
 * Collect nothing: Do Not Track or Global Privacy Control is on and the project respects it, or
 * the page is the dashboard's live overlay frame (it names the frame `tapistry-live`; the person
 * looking at the heatmap is not a visitor of the page).
 */
export function dnt(): boolean {
  // navigator.doNotTrack and GPC: every browser we target (ES2017) has them where it has the
  // setting; window.doNotTrack and navigator.msDoNotTrack were IE's and old Safari's
  const n = navigator as Navigator & { globalPrivacyControl?: boolean };
  return window.name == 'tapistry-live' || (cfg.respectDNT && (n.doNotTrack === '1' || n.globalPrivacyControl === true));
}

/** A kind of consent holds: given when `requireConsent`, else not refused. */
const given = (v?: boolean): boolean => (cfg.requireConsent ? v === true : v !== false);

/** Analytics events may be collected now. */
export function analyticsAllowed(): boolean {
  return !dnt() && given(consent.analytics);
}

/** Replay may record now: analytics may, and replay consent holds as well. */
export const replayAllowed = (): boolean => analyticsAllowed() && given(consent.replay);

/** Deterministic per-session sampling: the same session is in or out on every page. */
export function sampled(sessionId: string, rate: number): boolean {
  return rate >= 1 || parseInt(fnv1a64(sessionId).slice(0, 8), 16) / 4294967296 < rate;
}
