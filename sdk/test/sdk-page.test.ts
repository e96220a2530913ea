// Page views and SPA routing: one page_view on load and one per route change (pushState,
// replaceState, popstate, hashchange), debounced 200 ms, with previous path, title, referrer,
// UTM and viewport; state-only history calls and in-page anchors are not page views.
import { expect, test } from 'vitest';
import { makePage, ORIGIN, T0 } from './load';

test('page_view on load carries the sanitized URL, title, referrer, UTM, viewport and device', async () => {
  const p = await makePage({
    url: ORIGIN + '/Pricing/?utm_source=tw&utm_medium=social&token=s3cret&mail=jane@doe.com#plans',
    referrer: 'https://www.google.com/search?q=jane%40doe.com',
    title: 'Order for jane@doe.com',
  });
  await p.tick(5000);
  const [pv, ...rest] = p.events();
  expect(rest.map((e) => e.type)).toEqual(['scroll_milestone']);
  expect(pv).toMatchObject({
    type: 'page_view',
    ts: T0,
    url: ORIGIN + '/Pricing/?utm_source=tw&utm_medium=social',
    path: '/pricing',
    title: 'Order for [email]',
    referrer: 'https://www.google.com/search',
    utm: { source: 'tw', medium: 'social' },
    viewport: { w: 1000, h: 800 },
    device: { mobile: false, class: 'desktop' },
  });
  expect(pv.props).toEqual({});
  expect(pv.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(pv.session_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(pv.anonymous_id).not.toBe(pv.session_id);
});

test('a same-origin referrer becomes prev_path (multi-page sites)', async () => {
  const p = await makePage({ url: ORIGIN + '/b', referrer: ORIGIN + '/a/?x=1' });
  p.tap('flush');
  await p.tick(0);
  expect(p.events('page_view')[0].props).toEqual({ prev_path: '/a' });
});

test('pushState: one page_view after the 200 ms debounce, with prev_path', async () => {
  const p = await makePage();
  p.w.history.pushState({}, '', '/products/42');
  await p.tick(199);
  p.tap('flush');
  await p.tick(0);
  expect(p.events('page_view')).toHaveLength(1);
  await p.tick(1);
  p.tap('flush');
  await p.tick(0);
  const pvs = p.events('page_view');
  expect(pvs).toHaveLength(2);
  expect(pvs[1]).toMatchObject({ url: ORIGIN + '/products/42', path: '/products/42', props: { prev_path: '/' } });
  expect(pvs[1].referrer).toBeUndefined();
});

test('rapid changes collapse into one page_view for the final route', async () => {
  const p = await makePage();
  p.w.history.pushState({}, '', '/a');
  await p.tick(50);
  p.w.history.pushState({}, '', '/b');
  await p.tick(50);
  p.w.history.replaceState({}, '', '/c');
  await p.tick(1000);
  p.tap('flush');
  await p.tick(0);
  expect(p.events('page_view').map((e) => e.path)).toEqual(['/', '/c']);
});

test('state-only replaceState, other query parameters and anchors are not route changes', async () => {
  const p = await makePage();
  p.w.history.replaceState({ key: 1 }, '', p.w.location.href); // what Next.js does at start-up
  await p.tick(300);
  p.w.history.pushState({}, '', '/?sort=price');
  await p.tick(300);
  p.w.location.hash = '#reviews';
  await p.tick(300);
  p.tap('flush');
  await p.tick(0);
  expect(p.events('page_view')).toHaveLength(1);
});

test('hash routes and popstate (back button) are route changes', async () => {
  const p = await makePage();
  p.w.location.hash = '#/settings';
  await p.tick(300);
  p.w.history.pushState({}, '', '/next');
  await p.tick(300);
  p.w.history.back();
  await p.tick(300);
  p.tap('flush');
  await p.tick(0);
  const pvs = p.events('page_view');
  expect(pvs.map((e) => e.url)).toEqual([ORIGIN + '/', ORIGIN + '/#/settings', ORIGIN + '/next', ORIGIN + '/#/settings']);
  expect(pvs[3].props.prev_path).toBe('/next');
});

test('each route change ends the previous page view with its scroll event', async () => {
  const p = await makePage({ layout: { docH: 2000, vh: 1000 } });
  p.w.history.pushState({}, '', '/two');
  await p.tick(300);
  await p.hide();
  const types = p.events().map((e) => `${e.type}:${e.path}`);
  expect(types).toEqual([
    'page_view:/',
    'scroll_milestone:/', // 25
    'scroll_milestone:/', // 50: half of the document is in view
    'scroll:/',
    'page_view:/two',
    'scroll_milestone:/two',
    'scroll_milestone:/two',
    'scroll:/two',
  ]);
});

test('manual page(): virtual path or page name, with properties', async () => {
  const p = await makePage({ attrs: '' });
  p.tap('page', '/checkout/step-2', { plan: 'pro' });
  p.tap('page', 'Receipt');
  p.tap('flush');
  await p.tick(0);
  const pvs = p.events('page_view');
  expect(pvs[1]).toMatchObject({ url: ORIGIN + '/checkout/step-2', path: '/checkout/step-2', props: { plan: 'pro', prev_path: '/' } });
  expect(pvs[2]).toMatchObject({ url: ORIGIN + '/', title: 'Receipt' });
});

test('autoPageviews off: no automatic page views, events still carry the current URL', async () => {
  const p = await makePage({ before: (w) => ((w.tapistry = (...a: unknown[]) => (w.tapistry.q = w.tapistry.q || []).push(a)), w.tapistry('config', { autoPageviews: false })) });
  p.w.history.pushState({}, '', '/spa');
  await p.tick(300);
  p.tap('track', 'opened');
  p.tap('flush');
  await p.tick(0);
  expect(p.events('page_view')).toHaveLength(0);
  expect(p.events('custom')[0]).toMatchObject({ name: 'opened', url: ORIGIN + '/spa' });
});
