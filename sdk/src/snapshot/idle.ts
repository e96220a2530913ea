// Time slicing: runs a step function in idle periods (requestIdleCallback, with a timeout so a
// busy page still gets its snapshot; a timer where the callback is missing, as in Safari), never
// more than SLICE_MS of steps per task, so the host page's frames and input stay smooth. A step
// must be small (one node, one CSS rule, one 64 KB chunk): the slice is checked between steps.
// Chromium can give no idle period at all for seconds after user input (seen: three 2 s
// timeouts in a row after a few clicks, so a 100 ms capture took 6 s and was lost when the
// visitor moved on), so once work has started each next slice waits at most RESUME_MS.

/** Work per task, ms. The budget we keep is no task over 50 ms; the rest is headroom for a step. */
export const SLICE_MS = 8;

type Ric = (cb: (d: IdleDeadline) => void, o?: { timeout: number }) => number;

/** The longest wait for the next slice of work already under way, ms. */
export const RESUME_MS = 50;

/**
 * Calls `fn(until)` in the next idle period (or after `timeout` ms without one), `until` being the
 * performance.now() to stop at.
 */
export function idle(fn: (until: number) => void, timeout = 2000): void {
  const ric = (window as Window & { requestIdleCallback?: Ric }).requestIdleCallback;
  if (ric) {
    ric((d) => fn(performance.now() + Math.min(SLICE_MS, d.didTimeout ? SLICE_MS : Math.max(1, d.timeRemaining()))), {
      timeout,
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
        idle(run, RESUME_MS);
      } catch (e) {
        reject(e);
      }
    };
    idle(run, RESUME_MS);
  });
}
