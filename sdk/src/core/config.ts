// The SDK's configuration: defaults, and `config()` merging that ignores keys of the wrong type
// (a typo in a customer's snippet must not break the page or silently change a type).

import { UTM } from './sanitize';

export type Persistence = 'cookie' | 'localStorage' | 'none';

export interface Config {
  /** Project public key; defaults to the script tag's `data-project`. */
  key: string;
  /** Ingest URL; defaults to `data-endpoint`, else the script's origin + `/i`. */
  endpoint: string;
  /** Where anonymous_id and the session live; `none` is the cookieless mode. */
  persistence: Persistence;
  /** Cookie domain for `persistence: 'cookie'` (e.g. `.example.com`); default: host only. */
  cookieDomain: string;
  /** Share of sessions that send anything (0..1), decided from the session id. */
  sampleRate: number;
  /** Mask all text in heatmap snapshots and replays. */
  maskText: boolean;
  /** Share of sessions recorded for replay (0..1): lowers the project's rate, never raises it. */
  replaySampleRate: number;
  /** Honour `navigator.doNotTrack === '1'` and Global Privacy Control. */
  respectDNT: boolean;
  /** Collect nothing until `setConsent({ analytics: true })`. */
  requireConsent: boolean;
  /** Send a page_view on load and on every History API route change. */
  autoPageviews: boolean;
  /** Record clicks and taps. */
  clicks: boolean;
  /** Send a masked DOM snapshot per path and viewport bucket for the heatmap (core/snap.ts). */
  snapshots: boolean;
  maxEventsPerSession: number;
  maxEventsPerSecond: number;
  mousemove: { enabled: boolean; hz: number };
  scroll: { milestones: number[] };
  /** Query parameters kept in URLs (values are still PII-redacted). */
  queryAllowlist: string[];
  /** Send when this many events are queued (25..50). */
  batchSize: number;
  /** Send queued events at most this long after the first was queued (ms). */
  flushInterval: number;
  /** Discard unsent events after failing this long (ms). */
  offlineTimeout: number;
  maxRetries: number;
  /** Inactivity after which a new session starts (ms). */
  sessionTimeout: number;
}

export const cfg: Config = {
  key: '',
  endpoint: '',
  persistence: 'cookie',
  cookieDomain: '',
  sampleRate: 1,
  maskText: true,
  replaySampleRate: 1,
  respectDNT: true,
  requireConsent: false,
  autoPageviews: true,
  clicks: true,
  snapshots: true,
  maxEventsPerSession: 5000,
  maxEventsPerSecond: 60,
  mousemove: { enabled: false, hz: 5 },
  scroll: { milestones: [25, 50, 75, 90, 100] },
  queryAllowlist: UTM.slice(),
  batchSize: 25,
  flushInterval: 5000,
  offlineTimeout: 60000,
  maxRetries: 10,
  sessionTimeout: 30 * 60000,
};

function sameKind(a: unknown, b: unknown): boolean {
  return typeof a === typeof b && Array.isArray(a) === Array.isArray(b) && a !== null && b !== null;
}

/** Merges known keys of the right type (one level deep for object options). */
export function setConfig(o: unknown): void {
  if (!o || typeof o !== 'object') return;
  const src = o as Record<string, unknown>;
  const dst = cfg as unknown as Record<string, unknown>;
  for (const k in src) {
    const v = src[k];
    const cur = dst[k];
    if (!({}).hasOwnProperty.call(dst, k) || !sameKind(v, cur)) continue;
    if (typeof cur === 'object' && !Array.isArray(cur)) {
      const inner = cur as Record<string, unknown>;
      const vin = v as Record<string, unknown>;
      for (const j in vin) if (j in inner && sameKind(vin[j], inner[j])) inner[j] = vin[j];
    } else {
      dst[k] = v;
    }
  }
}
