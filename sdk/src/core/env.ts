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

/** UUID v4 from crypto.getRandomValues (Math.random only where crypto is missing). */
export function uuid(): string {
  const b = new Uint8Array(16);
  const c = typeof crypto !== 'undefined' ? crypto : undefined;
  if (c && c.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
  b[6] = (b[6]! & 15) | 64;
  b[8] = (b[8]! & 63) | 128;
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += (b[i]! + 256).toString(16).slice(1);
    if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
  }
  return s;
}

/** Clamps to 0..1 and rounds to `digits` decimals. */
export function unit(v: number, digits: number): number {
  const m = Math.pow(10, digits);
  return Math.round(Math.min(1, Math.max(0, v)) * m) / m;
}
