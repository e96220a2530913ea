// The public API and the host-page contract: the snippet's queue, the endpoint, never throwing,
// silence unless debug(true), and a single instance when loaded twice.
import { expect, test, vi } from 'vitest';
import { bundle, makePage } from './load';

test('commands queued before load: state commands first (the page view has the user), then events in order', async () => {
  const p = await makePage({
    before: (w) => {
      w.tapistry = function () {
        (w.tapistry.q = w.tapistry.q || []).push(arguments);
      };
      w.tapistry('track', 'early', { a: 1 });
      w.tapistry('identify', 'u1');
      w.tapistry('config', { flushInterval: 1000 });
      w.tapistry('page', '/virtual');
    },
  });
  await p.tick(1000);
  const evs = p.events();
  expect(evs.map((e) => e.type + ':' + (e.name || e.path))).toEqual([
    'page_view:/',
    'scroll_milestone:/',
    'custom:$identify',
    'custom:early',
    'scroll:/',
    'page_view:/virtual',
    'scroll_milestone:/virtual',
  ]);
  expect(evs.every((e) => e.user_id === 'u1')).toBe(true);
});

test('endpoint is the script origin + /i, or data-endpoint', async () => {
  const p = await makePage({ attrs: 'data-endpoint="https://collect.example/i"' });
  await p.hide();
  expect(p.sent[0]!.url).toBe('https://collect.example/i');
});

test('garbage arguments and unknown commands never throw and change nothing', async () => {
  const p = await makePage();
  const calls: unknown[][] = [
    ['config', null],
    ['config', { batchSize: 'ten', mousemove: 'on', scroll: { milestones: 'all' }, unknown: 1 }],
    ['track'],
    ['track', 42],
    ['track', { name: 'x' }],
    ['identify', { id: 1 }],
    ['setConsent', 'yes'],
    ['debug', 'loud'],
    ['no-such-command', 1, 2],
    [],
  ];
  for (const c of calls) expect(() => p.w.tapistry(...c)).not.toThrow();
  p.tap('debug', false);
  for (let i = 0; i < 22; i++) p.tap('track', 'ok'); // batchSize is still 25 (2 queued at load)
  await p.tick(0);
  expect(p.sent).toHaveLength(0);
  p.tap('track', 'ok');
  await p.tick(0);
  expect(p.sent).toHaveLength(1);
  expect(p.w.tapistry.stats().errors).toBe(0);
});

test('failures inside the host page environment never escape', async () => {
  const p = await makePage({
    beacon: () => {
      throw new Error('beacon blew up');
    },
    reply: () => {
      throw new Error('fetch blew up');
    },
  });
  await p.tick(5000);
  await expect(p.hide()).resolves.toBeUndefined();
  // the page's own history errors still reach the page, untouched
  const orig = p.w.History.prototype.pushState;
  p.w.history.pushState = p.w.history.pushState; // already wrapped by the SDK
  expect(() => p.w.history.pushState({}, '', 'http://other-origin.test/')).toThrow();
  expect(orig).toBeTypeOf('function');
});

test('silent unless debug(true)', async () => {
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.fn());
  const p = await makePage({
    before: (w) => (['log', 'info', 'warn', 'error', 'debug'] as const).forEach((m, i) => (w.console[m] = spies[i])),
  });
  p.tap('track', 'x');
  p.tap('nonsense');
  await p.tick(6000);
  expect(spies.every((s) => s.mock.calls.length === 0)).toBe(true);
  p.tap('debug', true);
  p.tap('track', 'y');
  expect(spies[0]!.mock.calls.some((c) => c[0] === '[tapistry]')).toBe(true);
});

test('loading the script twice keeps one instance', async () => {
  const p = await makePage();
  const first = p.w.tapistry;
  p.w.eval(await bundle('sdk'));
  expect(p.w.tapistry).toBe(first);
  p.click(p.doc.getElementById('buy')!, 5, 5);
  await p.tick(3000);
  await p.hide();
  expect(p.events('click')).toHaveLength(1);
  expect(p.events('page_view')).toHaveLength(1);
});
