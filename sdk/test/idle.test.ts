// Time slicing of snapshot work (src/snapshot/idle.ts) on a page that gives no idle periods (as
// Chromium does for seconds after user input): once work runs, each next slice waits at most
// RESUME_MS, and no slice runs much past SLICE_MS.
import { afterEach, expect, test, vi } from 'vitest';
import { RESUME_MS, SLICE_MS, sliced } from '../src/snapshot/idle';

afterEach(() => {
  vi.useRealTimers();
  delete (globalThis as { window?: unknown }).window;
});

test('no idle periods: slices still come every RESUME_MS, each about SLICE_MS long', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout'] });
  const asked: number[] = [];
  (globalThis as { window?: unknown }).window = {
    requestIdleCallback: (cb: (d: { didTimeout: boolean; timeRemaining(): number }) => void, o: { timeout: number }) => {
      asked.push(o.timeout);
      setTimeout(() => cb({ didTimeout: true, timeRemaining: () => 0 }), o.timeout); // never idle
      return 1;
    },
  };
  let steps = 0;
  const step = () => {
    const t = performance.now();
    while (performance.now() - t < 0.5); // a small step: at least 0.5 ms of real work
    return ++steps === 80;
  };
  let done = false;
  const p = sliced(step).then(() => (done = true));
  // advance the fake clock one RESUME_MS at a time: each advance lets one slice run
  const perSlice: number[] = [];
  while (!done && perSlice.length < 100) {
    const before = steps;
    await vi.advanceTimersByTimeAsync(RESUME_MS);
    perSlice.push(steps - before);
  }
  expect(done).toBe(true);
  await p;
  expect(asked.every((t) => t === RESUME_MS)).toBe(true);
  // 80 steps of ≥ 0.5 ms in slices that stop once SLICE_MS has passed: at most
  // SLICE_MS / 0.5 + 1 steps each (no long task), so at least 5 slices
  expect(Math.max(...perSlice)).toBeLessThanOrEqual(SLICE_MS / 0.5 + 1);
  expect(perSlice.length).toBeGreaterThanOrEqual(5);
  expect(perSlice.length).toBeLessThanOrEqual(80);
});
