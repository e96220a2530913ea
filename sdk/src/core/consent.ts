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
  const n = navigator as Navigator & { msDoNotTrack?: string; globalPrivacyControl?: boolean };
  const w = window as Window & { doNotTrack?: string };
  return (
    w.name == 'tapistry-live' ||
    (cfg.respectDNT && (n.doNotTrack === '1' || w.doNotTrack === '1' || n.msDoNotTrack === '1' || n.globalPrivacyControl === true))
  );
}

/** Analytics events may be collected now. */
export function analyticsAllowed(): boolean {
  return !dnt() && (cfg.requireConsent ? consent.analytics === true : consent.analytics !== false);
}

/** Deterministic per-session sampling: the same session is in or out on every page. */
export function sampled(sessionId: string, rate: number): boolean {
  return rate >= 1 || parseInt(fnv1a64(sessionId).slice(0, 8), 16) / 4294967296 < rate;
}
