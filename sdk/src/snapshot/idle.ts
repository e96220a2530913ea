// Time slicing: runs a step function in idle periods (requestIdleCallback, with a timeout so a
// busy page still gets its snapshot; a timer where the callback is missing, as in Safari), never
// more than SLICE_MS of steps per task, so the host page's frames and input stay smooth. A step
// must be small (one node, one CSS rule, one 64 KB chunk): the slice is checked between steps.

/** Work per task, ms. The budget we keep is no task over 50 ms; the rest is headroom for a step. */
export const SLICE_MS = 8;

type Ric = (cb: (d: IdleDeadline) => void, o?: { timeout: number }) => number;

/** Calls `fn(until)` in the next idle period, `until` being the performance.now() to stop at. */
export function idle(fn: (until: number) => void): void {
  const ric = (window as Window & { requestIdleCallback?: Ric }).requestIdleCallback;
  if (ric) {
    ric((d) => fn(performance.now() + Math.min(SLICE_MS, d.didTimeout ? SLICE_MS : Math.max(1, d.timeRemaining()))), {
      timeout: 2000,
    });
  } else {
    setTimeout(() => fn(performance.now() + SLICE_MS), 16);
  }
}

/**
 * A step's answer: `true` — finished; `false` — more to do; `YIELD` — more to do, but end this
 * task now (the step queued work that runs after it, e.g. a chunk for the compressor).
 */
export const YIELD = 2;
export type Step = () => boolean | typeof YIELD;

/**
 * Runs `step` until it returns true, in slices, then resolves true. Resolves false, without
 * another step, when `abort()` turns true between slices (the page view changed).
 */
export function sliced(step: Step, abort: () => boolean = () => false): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const run = (until: number): void => {
      try {
        if (abort()) return resolve(false);
        for (;;) {
          const r = step();
          if (r === true) return resolve(true);
          if (r === YIELD || performance.now() >= until) break;
        }
        idle(run);
      } catch (e) {
        reject(e);
      }
    };
    idle(run);
  });
}
