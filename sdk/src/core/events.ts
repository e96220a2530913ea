// Building events: the common wire fields, the consent/DNT/sampling gates and the caps (spec §18:
// ≤ maxEventsPerSecond per second, ≤ maxEventsPerSession per session), then into the transport.

import type { Device, EventType, WireEvent } from '@tapistry/types';
import { analyticsAllowed, sampled } from './consent';
import { cfg } from './config';
import { log, now, stats, uuid } from './env';
import { persist, session } from './ids';
import { deviceClass, dims } from './layout';
import { push, skew } from './transport';

/** Event-specific fields; they may override the common ones (e.g. `id`, `url`). */
export type Fields = Partial<WireEvent>;

/** The current page view's sanitized URL and normalized path (set by the router). */
export const page = { url: '', path: '' };

/** Called when a session rolls over mid-page: the router starts a new page view. */
export const hooks: { rolled?: () => void } = {};

let device: Device | undefined;
let second = 0;
let inSecond = 0;

/**
 * Emits an event of `type` at time `t` (default now) with extra `fields` (which may override the
 * common ones, e.g. `id`, `url`). Returns false when a gate or cap dropped it.
 */
export function emit(type: EventType, fields?: Fields, t?: number): boolean {
  if (!analyticsAllowed() || !page.url) return false;
  const at = t || now();
  const s = session(at);
  if (s.rolled && hooks.rolled && type !== 'page_view') hooks.rolled();
  const ids = s.ids;
  if (!sampled(ids.s, cfg.sampleRate)) return false;
  const sec = Math.floor(at / 1000);
  if (sec !== second) {
    second = sec;
    inSecond = 0;
  }
  if (inSecond >= cfg.maxEventsPerSecond || ids.n >= cfg.maxEventsPerSession) {
    stats.dropped++;
    return false;
  }
  inSecond++;
  ids.n++;
  persist();
  if (!device) {
    const c = deviceClass();
    device = { mobile: c === 'mobile', class: c };
  }
  const ev: WireEvent = {
    id: uuid(),
    ts: at + skew,
    type,
    session_id: ids.s,
    anonymous_id: ids.a,
    user_id: ids.u || undefined,
    url: page.url,
    path: page.path,
    device,
    viewport: { w: Math.min(20000, Math.round(dims.vw)), h: Math.min(20000, Math.round(dims.vh)) },
  };
  if (fields) {
    const src = fields as Record<string, unknown>;
    const dst = ev as unknown as Record<string, unknown>;
    for (const k in src) if (src[k] !== undefined) dst[k] = src[k];
  }
  log(type, ev);
  push(JSON.stringify(ev));
  return true;
}
