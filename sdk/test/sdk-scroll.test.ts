// Scroll depth: milestones as the bottom of the viewport passes them, and exactly one final
// `scroll` event per page view with max_depth_pct; optional mousemove sampling.
import { expect, test } from 'vitest';
import { makePage, type Page } from './load';

async function scrollTo(p: Page, sy: number) {
  p.layout({ sy });
  p.w.dispatchEvent(new p.w.Event('scroll'));
  await p.tick(150);
}

test('milestones fire once each as the viewport bottom passes them; one final scroll event', async () => {
  const p = await makePage({ layout: { docH: 4000, vh: 1000 } });
  await scrollTo(p, 1000); // 50 %
  await scrollTo(p, 500); // back up: nothing new
  await scrollTo(p, 2700); // 92.5 %
  p.w.document.dispatchEvent(new p.w.Event('visibilitychange')); // still visible: nothing
  await scrollTo(p, 3000); // 100 %
  await p.hide();
  const ms = p.events('scroll_milestone').map((e) => e.props.depth);
  expect(ms).toEqual([25, 50, 75, 90, 100]);
  const final = p.events('scroll');
  expect(final).toHaveLength(1);
  expect(final[0].props).toEqual({ max_depth_pct: 100 });
});

test('hidden then pagehide still gives one scroll event per page view', async () => {
  const p = await makePage({ layout: { docH: 10000, vh: 1000 } });
  await scrollTo(p, 2345); // (2345 + 1000) / 10000 = 33.45 %
  Object.defineProperty(p.doc, 'visibilityState', { configurable: true, value: 'hidden' });
  p.doc.dispatchEvent(new p.w.Event('visibilitychange'));
  await p.tick(0);
  Object.defineProperty(p.doc, 'visibilityState', { configurable: true, value: 'visible' });
  await scrollTo(p, 5000);
  await p.hide();
  const final = p.events('scroll');
  expect(final).toHaveLength(1);
  expect(final[0].props.max_depth_pct).toBe(33);
  // the hidden flush went out by beacon
  expect(p.sent[0]!.via).toBe('beacon');
});

test('a page shorter than the viewport is read to 100 %', async () => {
  const p = await makePage({ layout: { docH: 600, vh: 800 } });
  await p.hide();
  expect(p.events('scroll_milestone').map((e) => e.props.depth)).toEqual([25, 50, 75, 90, 100]);
  expect(p.events('scroll')[0].props.max_depth_pct).toBe(100);
});

test('while the document is still parsed, its partial height is no depth: measured again at load', async () => {
  // a cached async snippet can run before <body> exists: the document is as tall as the viewport
  let state = 'loading';
  const p = await makePage({
    layout: { docH: 800, vh: 800 },
    before: (w) => Object.defineProperty(w.document, 'readyState', { configurable: true, get: () => state }),
  });
  await p.tick(200);
  expect(p.events('scroll_milestone')).toEqual([]);
  // parsed: the 4000 px article is there, nothing scrolled
  p.layout({ docH: 4000 });
  state = 'complete';
  p.w.dispatchEvent(new p.w.Event('load'));
  await scrollTo(p, 1000); // (1000 + 800) / 4000 = 45 %
  await p.hide();
  expect(p.events('scroll_milestone').map((e) => e.props.depth)).toEqual([25]);
  expect(p.events('scroll')[0].props.max_depth_pct).toBe(45);
});

test('custom milestones', async () => {
  const p = await makePage({
    layout: { docH: 10000, vh: 500 },
    before: (w) => (w.tapistry = Object.assign(() => {}, { q: [['config', { scroll: { milestones: [10, 60] } }]] })),
  });
  await scrollTo(p, 5600);
  await p.hide();
  expect(p.events('scroll_milestone').map((e) => e.props.depth)).toEqual([10, 60]);
});

test('mousemove is off by default, and sampled at most hz per second when on', async () => {
  const p = await makePage();
  const move = (q: Page, x: number) =>
    q.doc.body.dispatchEvent(new q.w.MouseEvent('mousemove', { bubbles: true, clientX: x, clientY: 100 }));
  for (let i = 0; i < 50; i++) {
    move(p, i);
    await p.tick(20);
  }
  await p.hide();
  expect(p.events('mousemove')).toHaveLength(0);

  const q = await makePage({
    before: (w) => (w.tapistry = Object.assign(() => {}, { q: [['config', { mousemove: { enabled: true, hz: 50 } }]] })),
  });
  for (let i = 0; i < 100; i++) {
    move(q, 200 + i);
    await q.tick(10); // 1 s of movement at 100 Hz
  }
  await q.hide();
  const mm = q.events('mousemove');
  expect(mm.length).toBeGreaterThanOrEqual(9);
  expect(mm.length).toBeLessThanOrEqual(10); // hz is capped at 10
  expect(mm[0]).toMatchObject({ x: expect.any(Number), y: 0.03333 }); // 100 / 3000, 5 decimals
});
