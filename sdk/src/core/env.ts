// Shared plumbing for every SDK module: the never-throw guard, passive listeners, guarded timers,
// the debug log and the client-side counters. Everything the SDK runs from the host page's event
// loop goes through `guard`, so no exception of ours ever reaches the page (STYLE: the SDK never
// throws into the host page).

/** Client-side counters, readable through `tapistry.stats()`. */
export const stats = {
  /** Events the server acknowledged (2xx) or handed to sendBeacon. */
  sent: 0,
  /** Events dropped: caps, 4xx, offline too long, queue overflow, consent withdrawn. */
  dropped: 0,
  /** Internal errors caught by `guard` and failed requests. */
  errors: 0,
  /** Retries scheduled by the transport. */
  retries: 0,
};

let debugOn = false;

export function setDebug(on: boolean): void {
  debugOn = on;
}

/** Logs only when `debug(true)`; the SDK is otherwise silent. */
export function log(...args: unknown[]): void {
  if (debugOn) {
    try {
      console.log('[tapistry]', ...args);
    } catch (e) {
      // a console that throws must not break us either
    }
  }
}

/** Wraps `fn` so that it never throws: errors are counted and logged in debug mode. */
export function guard<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R | undefined {
  return function (this: unknown, ...args: A) {
    try {
      return fn.apply(this, args);
    } catch (e) {
      stats.errors++;
      log('error', e);
      return undefined;
    }
  };
}

/** Adds a passive, guarded listener (capture phase when `capture`). */
export function on(
  target: EventTarget,
  type: string,
  fn: (e: any) => void,
  capture?: boolean,
): void {
  target.addEventListener(type, guard(fn), { passive: true, capture: !!capture });
}

/** A guarded setTimeout; returns the timer id. */
export function later(fn: () => void, ms: number): number {
  return setTimeout(guard(fn), ms) as unknown as number;
}

export const now = (): number => Date.now();

/**
 * UUID v4 from crypto.getRandomValues (in every browser we target, secure context or not): each
 * 0, 1 or 8 of the template becomes a random hex digit, the 8 one of 8..b (the variant).
 */
export function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(31));
  let i = 0;
  return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (+c ^ (b[i++]! & (15 >> (+c / 4)))).toString(16));
}

/** Clamps to 0..1 and rounds to `digits` decimals. */
export function unit(v: number, digits: number): number {
  const m = Math.pow(10, digits);
  return Math.round(Math.min(1, Math.max(0, v)) * m) / m;
}
