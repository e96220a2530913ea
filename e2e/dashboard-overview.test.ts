// The dashboard shell and Overview against the real server: the sign-in page without a session, the
// install guide on an empty project, the first page view showing up within 2 s (spec: 2 minutes),
// tiles and lists, CSV export, filters in the URL (row click, Esc clears), keyboard shortcuts and
// Tab reachability.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { app, dashboardContext, type DashEnv, DESKTOP, figure, freshSession, shoot, sitePage, startDashboardEnv, watchErrors } from './lib/dashboard';

let env: DashEnv;
let dash: BrowserContext;
beforeAll(async () => {
  env = await startDashboardEnv();
  dash = await dashboardContext(env, DESKTOP);
});
afterAll(async () => {
  await env?.stop();
});

test('without a session: a styled page that says how to sign in', async () => {
  const ctx = await env.browser.newContext({ viewport: DESKTOP });
  const page = await ctx.newPage();
  await page.goto(env.tap.origin + '/app/');
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByLabel('Email').waitFor();
  expect(await page.locator('pre code').textContent()).toContain('tapistry signin-link');
  await ctx.close();
});

test('empty project: the snippet, then the first page view on the overview within 2 s', async () => {
  const page = await dash.newPage();
  const errors = watchErrors(page);
  await page.goto(app(env, 'overview'));
  await page.getByRole('heading', { name: 'No data yet — here is your snippet' }).waitFor();
  const snippet = (await page.locator('.snippet pre code').textContent())!;
  expect(snippet).toContain(env.tap.project.public_key);
  expect(snippet).toContain(`${env.tap.origin}/v1.js`);
  expect(snippet).toMatch(/integrity='sha384-/);
  // no site at hand: the demo site, and the Demo project its visits go to
  const hint = page.locator('.demo-hint');
  expect(await hint.textContent()).toContain('demo site: its visits go to the Demo project, whose heatmaps');
  expect(await hint.locator('a[href="/demo/"]').count()).toBe(1);
  const demoLink = (await hint.getByRole('link', { name: 'Demo', exact: true }).getAttribute('href'))!;
  expect(demoLink).toMatch(/^\/app\/overview\?project=p_/);
  expect(demoLink).not.toContain(env.tap.project.project_id);
  await shoot(page, 'overview-empty');

  const site = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const sp = await sitePage(env, site, '/static/dash-heat.html');
  const t0 = Date.now();
  await sp.evaluate(() => (window as any).tapistry('flush'));
  await page.locator('.tile[data-metric="pageviews"] .tile-value', { hasText: /^1$/ }).waitFor({ timeout: 10000 });
  const elapsed = Date.now() - t0;
  expect(elapsed, `the page view appeared after ${elapsed} ms`).toBeLessThanOrEqual(2000);
  figure('overview', `the first page view on the open Overview ${elapsed} ms after the SDK's flush (bar: 2,000 ms)`);
  await page.locator('.tile[data-metric="visitors"] .tile-value', { hasText: /^1$/ }).waitFor();
  await page.locator('.list-row', { hasText: '/static/dash-heat.html' }).first().waitFor();
  expect(await page.locator('.live strong').textContent()).toBe('1');
  expect(errors).toEqual([]);
  await sp.close();
  await site.close();
  await page.close();
});

test('lists export CSV; a row click filters, the filter is in the URL, Esc clears it', async () => {
  const page = await dash.newPage();
  await page.goto(app(env, 'overview'));
  const row = page.locator('.list-card').first().locator('button.row-label', { hasText: '/static/dash-heat.html' });
  await row.waitFor();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('.list-card').first().getByText('Export CSV').click()]);
  const csv = await (await import('node:fs/promises')).readFile((await dl.path())!, 'utf8');
  expect(csv.split('\n')[0]).toMatch(/value|page/i);
  expect(csv).toContain('/static/dash-heat.html');
  await row.click();
  await page.waitForURL(/path=%2Fstatic%2Fdash-heat\.html/);
  await page.locator('.pill', { hasText: 'Page is /static/dash-heat.html' }).waitFor();
  // the URL alone reproduces the view
  const shared = page.url();
  const other = await dash.newPage();
  await other.goto(shared);
  await other.locator('.pill', { hasText: 'Page is /static/dash-heat.html' }).waitFor();
  await other.close();
  await page.locator('body').click({ position: { x: 700, y: 880 } });
  await page.keyboard.press('Escape');
  await expect.poll(() => page.url()).not.toContain('path=');
  expect(await page.locator('.pill').count()).toBe(0);
  await page.close();
});

test('a new page shows in the lists with the tile refresh that counts it', async () => {
  const send = async (path: string) => {
    const res = await fetch(env.tap.origin + '/i', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Project-Key': env.tap.project.public_key, Origin: env.site },
      body: JSON.stringify({ events: [{ id: crypto.randomUUID(), ts: Date.now(), type: 'page_view', session_id: crypto.randomUUID(),
        anonymous_id: crypto.randomUUID(), url: env.site + path, viewport: { w: 1280, h: 800 } }] }),
    });
    expect(res.status).toBe(200);
  };
  await send('/static/seen-before');
  const page = await dash.newPage();
  await page.goto(app(env, 'overview'));
  await page.locator('.list-row', { hasText: '/static/seen-before' }).first().waitFor();
  const before = Number((await page.locator('.tile[data-metric="pageviews"] .tile-value').textContent())!.replace(/\D/g, ''));
  const path = `/static/fresh-${Date.now()}`;
  await send(path);
  // the tiles poll every 10 s; the lists fetch again as soon as the tiles bring new numbers
  await page.locator('.tile[data-metric="pageviews"] .tile-value', { hasText: new RegExp(`^${before + 1}$`) }).waitFor({ timeout: 15000 });
  const t0 = Date.now();
  await page.locator('.list-row', { hasText: path }).first().waitFor({ timeout: 5000 });
  figure('overview', `a new page in the Pages list ${Date.now() - t0} ms after the tile refresh that counted it (the lists' own poll: 30 s)`);
  await page.close();
});

test('Today is drawn per hour; bot visits are left out by default and counted with the toggle', async () => {
  const HEADLESS = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36';
  const path = `/static/bots-only-${Date.now()}`;
  const res = await fetch(env.tap.origin + '/i', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Project-Key': env.tap.project.public_key, Origin: env.site, 'User-Agent': HEADLESS, 'Accept-Language': 'en' },
    body: JSON.stringify({ events: [0, 1, 2].map(() => ({ id: crypto.randomUUID(), ts: Date.now(), type: 'page_view', session_id: crypto.randomUUID(),
      anonymous_id: crypto.randomUUID(), url: env.site + path, viewport: { w: 1280, h: 800 } })) }),
  });
  expect(res.status).toBe(200);
  const page = await dash.newPage();
  const errors = watchErrors(page);
  await page.goto(app(env, 'overview', { period: 'today' }));
  // one day: 24 hourly points, hour labels on the axis
  await page.locator('.chart-wrap[data-unit="hour"][data-points="24"]').waitFor();
  expect(await page.locator('.legend-note').textContent()).toContain('per hour (UTC)');
  await page.locator('.tile[data-metric="pageviews"] .tile-value').waitFor();
  const count = async () => Number((await page.locator('.tile[data-metric="pageviews"] .tile-value').textContent())!.replace(/\D/g, ''));
  const human = await count();
  await page.locator('.list-card').first().locator('.list-row').first().waitFor();
  expect(await page.locator('.list-row', { hasText: path }).count(), 'a bots-only page is not listed').toBe(0);
  // the share of what the filter left out is shown beside the toggle
  await page.locator('.bot-share', { hasText: 'left out' }).waitFor();
  const share = (await page.locator('.bot-share').textContent())!;
  await shoot(page, 'overview-today-hourly');
  await page.getByLabel(/Include bots/).check();
  await expect.poll(() => page.url()).toContain('bots=include');
  await page.locator('.tile[data-metric="pageviews"] .tile-value', { hasText: new RegExp(`^${human + 3}$`) }).waitFor();
  await page.locator('.list-row', { hasText: path }).first().waitFor();
  figure('overview bots', `Today per hour (24 points); ${human} page views without bots, ${human + 3} with; the toggle says${share}`);
  expect(errors).toEqual([]);
  await page.close();
});

test('keyboard: period letters, ←/→, X to compare; every control reachable with Tab', async () => {
  const page = await dash.newPage();
  await page.goto(app(env, 'overview'));
  await page.locator('.tile').first().waitFor();
  await page.locator('h1').click();
  await page.keyboard.press('m');
  await expect.poll(() => page.url()).toContain('period=month');
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => page.url()).toContain('period=custom');
  await page.keyboard.press('w');
  await expect.poll(() => page.url()).not.toContain('period=');
  await page.keyboard.press('x');
  await expect.poll(() => page.url()).toContain('compare=previous');
  await page.locator('.change').first().waitFor();
  await shoot(page, 'overview-compare');
  // Tab walks the skip link, project switcher, navigation, filters and tiles
  await page.reload();
  await page.locator('.tile').first().waitFor();
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    seen.add(await page.evaluate(() => {
      const a = document.activeElement as HTMLElement;
      return `${a.tagName}.${a.className}:${(a.textContent || a.getAttribute('aria-label') || '').trim().slice(0, 20)}`;
    }));
  }
  const all = [...seen].join('\n');
  for (const want of ['Skip to content', 'Heatmaps', 'Settings', 'Previous period', 'Last 7 days', 'Unique visitors']) expect(all).toContain(want);
  await page.close();
});

test('sign out: from the sidebar and from Settings, each ends its session (a copy of the cookie too) and shows the sign-in page', async () => {
  for (const [route, where] of [['overview', '.sidebar-foot'], ['settings', '.session-card']] as const) {
    const session = await freshSession(env);
    const ctx = await dashboardContext(env, DESKTOP, 1, session);
    const page = await ctx.newPage();
    const errors = watchErrors(page, [/status of 401/]);
    await page.goto(app(env, route, route === 'settings' ? { tab: 'sessions' } : {}));
    await page.locator('h1').first().waitFor();
    await page.locator(where).getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/app/');
    expect((await ctx.cookies()).filter((c) => c.name === env.cookie.name)).toEqual([]);
    expect(await page.evaluate(() => fetch('/api/me').then((r) => r.status))).toBe(401);
    // revoked on the server: the cookie copied from before the sign-out is refused as well
    const copy = await fetch(env.tap.origin + '/api/me', { headers: { cookie: `${session.name}=${session.value}` } });
    expect(copy.status).toBe(401);
    expect(errors).toEqual([]);
    await ctx.close();
  }
  // the shared session of the other tests is untouched
  const still = await fetch(env.tap.origin + '/api/me', { headers: { cookie: `${env.cookie.name}=${env.cookie.value}` } });
  expect(still.status).toBe(200);
});
