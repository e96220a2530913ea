// Transport (spec §3.7): a memory-only queue of serialized events, sent in batches of `batchSize`
// events or ~56 KB (sendBeacon and keepalive fetch refuse bodies over 64 KB), at most
// `flushInterval` after the first queued event. While the page lives, batches go one at a time by
// fetch (keepalive, credentials omitted, text/plain so no CORS preflight) so the response can be
// read: server_time gives the clock skew, 429/503/5xx and network errors retry with exponential
// backoff (200 ms → 10 s, jitter, Retry-After honoured), other 4xx drop the batch. When the page is
// hidden or unloads, everything left goes by sendBeacon, falling back to keepalive fetch. Events
// that could not be sent for `offlineTimeout` (60 s) are discarded: nothing is ever persisted.

import { cfg } from './config';
import { later, log, now, on, stats } from './env';
import { configure } from './api';
import { consent } from './consent';
import { rec, type ReplaySettings } from './rec';

export const VERSION = '1.0.0';
const MAX_BYTES = 56000;
const MAX_EVENTS = 50;
const MAX_QUEUED = 1000;

/** Server clock minus client clock, ms (added to every ts and sent_at). */
export let skew = 0;

let queue: string[] = [];
let queuedBytes = 0;
/** Batches waiting to be sent: each a comma-joined list of serialized events, and its count. */
let batches: Array<{ e: string; n: number }> = [];
let flushTimer = 0;
let retryTimer = 0;
let inflight = false;
let attempt = 0;
let failingSince = 0;
let client = '';

/** Queues one serialized event. */
export function push(json: string): void {
  if (queue.length >= MAX_QUEUED) {
    queuedBytes -= queue.shift()!.length;
    stats.dropped++;
  }
  queue.push(json);
  queuedBytes += json.length + 1;
  if (queue.length >= cfg.batchSize || queuedBytes >= MAX_BYTES) flush();
  else if (!flushTimer) flushTimer = later(() => flush(), cfg.flushInterval);
}

function cutBatches(): void {
  while (queue.length) {
    let n = 0;
    let size = 0;
    while (n < queue.length && n < MAX_EVENTS && (n === 0 || size + queue[n]!.length < MAX_BYTES)) {
      size += queue[n]!.length + 1;
      n++;
    }
    batches.push({ e: queue.splice(0, n).join(','), n });
    queuedBytes -= size;
  }
  queuedBytes = 0;
}

function body(b: { e: string }): string {
  if (!client) {
    let tz = '';
    try {
      tz = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
    } catch (e) {
      // no Intl
    }
    // webdriver: a bot signal the server folds into bot_score (automation, headless browsers)
    client = JSON.stringify({ tz, lang: navigator.language || '', webdriver: navigator.webdriver || undefined });
  }
  return '{"k":' + JSON.stringify(cfg.key) + ',"sdk":{"ver":"' + VERSION + '"},"client":' + client +
    ',"sent_at":' + (now() + skew) + (consent.analytics ? ',"consent":1' : '') + ',"events":[' + b.e + ']}';
}

/** Drops everything unsent (consent withdrawn, offline too long). */
export function discard(): void {
  batches.forEach((b) => (stats.dropped += b.n));
  stats.dropped += queue.length;
  batches = [];
  queue = [];
  queuedBytes = 0;
  attempt = 0;
  failingSince = 0;
}

/**
 * Sends what is queued. `unload`: the page is going away or hidden — send everything now by
 * sendBeacon (fetch keepalive when the beacon is missing or refuses), ignoring backoff.
 */
export function flush(unload?: boolean): void {
  clearTimeout(flushTimer);
  flushTimer = 0;
  cutBatches();
  if (!cfg.key || !cfg.endpoint) return;
  if (unload) {
    // a batch in flight stays with its fetch (keepalive outlives the page)
    const all = batches.splice(inflight ? 1 : 0);
    all.forEach((b) => beacon(b, true));
    return;
  }
  pump();
}

/** sendBeacon, then (when `orFetch`) keepalive fetch if the beacon is missing or refuses. */
function beacon(b: { e: string; n: number }, orFetch: boolean): void {
  const payload = body(b);
  let ok = false;
  try {
    // a missing sendBeacon throws here too
    ok = navigator.sendBeacon(cfg.endpoint, payload);
  } catch (e) {
    // refused (too big, blocked): fetch below
  }
  if (!ok && orFetch && typeof fetch === 'function') {
    ok = true;
    post(payload).catch(() => {
      stats.errors++;
    });
  }
  if (ok) stats.sent += b.n;
  else stats.dropped += b.n;
}

const post = (payload: string): Promise<Response> =>
  fetch(cfg.endpoint, { method: 'POST', body: payload, keepalive: true, credentials: 'omit' });

function retryAfter(v: string | null): number {
  if (!v) return 0;
  const s = +v;
  if (s >= 0) return s * 1000;
  const d = Date.parse(v);
  return d > 0 ? d - now() : 0;
}

function failed(delayHint: number): void {
  stats.errors++;
  const t = now();
  if (!failingSince) failingSince = t;
  if (++attempt > cfg.maxRetries || t - failingSince >= cfg.offlineTimeout) {
    log('discarded');
    discard();
    return;
  }
  const base = Math.min(10000, 200 * Math.pow(2, attempt - 1));
  const wait = Math.max(base / 2 + Math.random() * (base / 2), delayHint);
  stats.retries++;
  retryTimer = later(() => {
    retryTimer = 0;
    pump();
  }, wait);
}

function pump(): void {
  if (inflight || retryTimer || !batches.length) return;
  if (failingSince && now() - failingSince >= cfg.offlineTimeout) {
    discard();
    return;
  }
  const b = batches[0]!;
  if (typeof fetch !== 'function') {
    beacon(batches.shift()!, false);
    pump();
    return;
  }
  if (navigator.onLine === false) {
    failed(0);
    return;
  }
  inflight = true;
  const t0 = now();
  const done = (status: number, hint: number, j?: { server_time?: number; replay?: ReplaySettings; config?: object }): void => {
    inflight = false;
    if (status >= 200 && status < 300) {
      if (j) {
        if (j.server_time! > 0) skew = Math.round(j.server_time! - (t0 + now()) / 2);
        // The project's options (cookieless, consent by default, sampling), as tapistry('config').
        if (j.config) configure(j.config);
        rec(j.replay);
      }
      batches.shift();
      stats.sent += b.n;
      attempt = 0;
      failingSince = 0;
      pump();
    } else if (!status || status === 408 || status === 429 || status >= 500) {
      failed(hint);
    } else {
      log('rejected', status);
      batches.shift();
      stats.dropped += b.n;
      stats.errors++;
      pump();
    }
  };
  post(body(b)).then(
    (r) => {
      const hint = retryAfter(r.headers.get('Retry-After'));
      if (!r.ok) return done(r.status, hint);
      return r.json().then(
        (j) => done(r.status, 0, j),
        () => done(r.status, 0),
      );
    },
  ).catch((e) => {
    if (inflight) {
      log('failed', e);
      done(0, 0);
    }
  });
}

export function watchNetwork(): void {
  on(window, 'online', () => {
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = 0;
      pump();
    }
  });
}

/** Queue length, for tests and stats(). */
export function queued(): number {
  return queue.length + batches.reduce((a, b) => a + b.n, 0);
}
