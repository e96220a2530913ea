import { expect, test } from 'vitest';
import { build, clearFilters, DEFAULTS, hasFilters, parse, parseRoute } from '../src/lib/url-state';

test('routes live under /app/', () => {
  expect(parseRoute('/app/')).toBe('overview');
  expect(parseRoute('/app')).toBe('overview');
  expect(parseRoute('/app/index.html')).toBe('overview');
  expect(parseRoute('/app/heatmaps')).toBe('heatmaps');
  expect(parseRoute('/app/heatmaps/')).toBe('heatmaps');
  expect(parseRoute('/app/nope')).toBe('notfound');
  expect(parseRoute('/other')).toBe('notfound');
});

test('defaults are left out of URLs, so links stay short', () => {
  expect(build({ ...DEFAULTS, route: 'overview', project: 'p1' })).toBe('/app/overview?project=p1');
  expect(build({ ...DEFAULTS, route: 'heatmaps', project: 'p1', path: '/pricing', view: 'scroll' })).toBe('/app/heatmaps?project=p1&path=%2Fpricing&view=scroll');
});

test('every view state round-trips through the URL', () => {
  const s = {
    ...DEFAULTS,
    route: 'heatmaps' as const,
    project: 'p_1',
    period: 'custom' as const,
    from: '2024-08-01',
    to: '2024-08-10',
    device: 'mobile' as const,
    vw: '1440+' as const,
    path: '/a b?',
    mode: 'live' as const,
    view: 'elements' as const,
    kind: 'rage' as const,
    opacity: 0.35,
    palette: 'cb' as const,
  };
  const url = new URL(build(s), 'http://x');
  expect(parse(url.pathname, url.search)).toEqual(s);
  const o = { ...DEFAULTS, route: 'overview' as const, project: 'p', metric: 'bounce_rate' as const, compare: true, period: '28d' as const };
  const u2 = new URL(build(o), 'http://x');
  expect(parse(u2.pathname, u2.search)).toEqual(o);
});

test('page-specific keys are dropped on other pages', () => {
  const s = { ...DEFAULTS, route: 'overview' as const, project: 'p', view: 'scroll' as const, compare: true };
  expect(build(s)).toBe('/app/overview?project=p&compare=previous');
  expect(build({ ...s, route: 'settings' })).toBe('/app/settings?project=p');
});

test('malformed values fall back to defaults and never throw', () => {
  const s = parse('/app/heatmaps', '?period=forever&from=2024-13-01&to=x&device=fridge&vw=9&opacity=7&mode=%3Cscript%3E&path=javascript:alert(1)&tab=../x');
  expect(s.period).toBe('7d');
  expect(s.device).toBe('');
  expect(s.vw).toBe('');
  expect(s.opacity).toBe(0.8);
  expect(s.mode).toBe('snapshot');
  expect(s.path).toBe('');
  expect(s.tab).toBe('install');
  expect(parse('/app/', '?from=2024-08-01&to=2024-08-03').period).toBe('custom');
  expect(parse('/app/', '?period=custom').period).toBe('7d');
});

test('Esc clears filters but keeps the heatmap page', () => {
  const o = { ...DEFAULTS, route: 'overview' as const, device: 'mobile' as const, vw: '0-479' as const, path: '/x' };
  expect(hasFilters(o)).toBe(true);
  expect(clearFilters(o)).toMatchObject({ device: '', vw: '', path: '' });
  const h = { ...o, route: 'heatmaps' as const };
  expect(clearFilters(h).path).toBe('/x');
  expect(hasFilters({ ...h, device: '', vw: '' })).toBe(false);
});

test('the replays list keeps its clicked-element filter in the URL; other pages drop it', () => {
  const s = { ...DEFAULTS, route: 'replays' as const, project: 'p_1', path: '/pricing', el: 'button.buy > span', sort: 'longest' as const };
  const url = build(s);
  const u = new URL(url, 'http://x');
  expect(parse(u.pathname, u.search)).toEqual(s);
  const elsewhere = build({ ...s, route: 'overview' });
  expect(elsewhere).not.toContain('el=');
  expect(elsewhere).not.toContain('sort=');
  expect(parse('/app/replays', '?sort=random').sort).toBe('newest');
  expect(clearFilters(s)).toMatchObject({ el: '', path: '' });
});
