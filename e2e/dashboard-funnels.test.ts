// Issue 11 end to end in Chromium against the real server: scripted journeys on the static sample
// site (known numbers of sessions reach each step), then a 3-step funnel built in the dashboard —
// a page, a click on an element chosen after the journeys ran, a page — whose numbers on screen,
// in its tables and in its CSV equal the API's; the URL reproduces it; drag and drop reorders; a
// breakdown and a saved funnel; screenshots at desktop and phone widths.
import { readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { app, dashboardContext, type DashEnv, DESKTOP, figure, PHONE, shoot, sitePage, startDashboardEnv, watchErrors } from './lib/dashboard';

let env: DashEnv;
let dash: BrowserContext;

// Each journey is a fresh browser context: a new visitor and session.
//   full      index → click #b1 → "Page two"        (3)  reach step 3
//   clicked   index → click #b1                      (2)  reach step 2
//   bounced   index                                  (2)  reach step 1
//   backwards page two → index → click #b1           (1)  step 2: page two came before, not after
const JOURNEYS: Array<[string, number]> = [['full', 3], ['clicked', 2], ['bounced', 2], ['backwards', 1]];
const EXPECTED = [8, 6, 3];

async function journey(kind: string): Promise<void> {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  let page: Page;
  if (kind === 'backwards') {
    page = await sitePage(env, ctx, '/static/page2.html');
    await page.evaluate(() => (window as any).tapistry('flush'));
    await page.click('a[href="/static/"]');
    await page.waitForFunction(() => (window as any).tapistry?.loaded === true && location.pathname === '/static/');
  } else {
    page = await sitePage(env, ctx, '/static/');
  }
  if (kind !== 'bounced') {
    await page.waitForTimeout(150);
    await page.click('#b1');
  }
  if (kind === 'full') {
    await page.waitForTimeout(150);
    await Promise.all([page.waitForURL(/page2/), page.click('#next')]);
    await page.waitForFunction(() => (window as any).tapistry?.loaded === true);
  }
  await page.evaluate(() => (window as any).tapistry('flush'));
  await page.waitForTimeout(100);
  await ctx.close();
}

function day(offset: number): string {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const sep = path.includes('?') ? '&' : '?';
  const r = await fetch(`${env.tap.origin}${path}${sep}project_id=${env.tap.project.project_id}`, {
    method,
    headers: { Authorization: `Bearer ${env.tap.project.read_token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: (text ? JSON.parse(text) : undefined) as T };
}

interface Result {
  steps: Array<{ name: string; units: number; conversion_from_previous: number; conversion_from_first: number; dropped: number; p90_ms_from_previous: number }>;
  entered: number;
  converted: number;
  time_to_convert: Array<{ from_ms: number; to_ms: number | null; units: number }>;
  trend: Array<{ date: string; entered: number; converted: number; conversion: number }>;
  breakdowns: Record<string, Array<{ value: string; steps: Array<{ units: number }> }>>;
}

let home = '';
let two = '';
let selector = '';

beforeAll(async () => {
  env = await startDashboardEnv();
  dash = await dashboardContext(env, DESKTOP);
  for (const [kind, n] of JOURNEYS) for (let i = 0; i < n; i++) await journey(kind);
  // The paths and the element as the server stored them (the funnel is defined after the fact).
  const paths = await api<{ paths: Array<{ path: string }> }>('GET', `/api/paths?from=${day(-1)}&to=${day(1)}`);
  home = paths.json.paths.find((p) => p.path === '/static')?.path ?? '';
  two = paths.json.paths.find((p) => p.path.includes('page2'))?.path ?? '';
  const els = await api<{ elements: Array<{ selector: string; clicks: number }> }>('GET', `/api/elements?from=${day(-1)}&to=${day(1)}`);
  selector = els.json.elements.find((e) => e.selector.includes('b1'))?.selector ?? '';
  expect([home, two, selector]).not.toContain('');
  // wait until every journey is counted
  const body = { from: day(-1), to: day(1), definition: { steps: [{ type: 'page_view', path: home }, { type: 'click', selector }, { type: 'page_view', path: two }] } };
  let seen = '';
  for (let i = 0; i < 100 && seen !== EXPECTED.join(); i++) {
    if (i) await new Promise((res) => setTimeout(res, 200));
    const r = await api<Result>('POST', '/api/funnels/query', body);
    seen = r.status === 200 ? r.json.steps.map((s) => s.units).join() : `${r.status}`;
  }
  expect(seen, 'the journeys as the API counts them').toBe(EXPECTED.join());
}, 120000);

// The UI's answers come after a request of its own; on a busy 2-core machine, give them time.
const POLL = { timeout: 15000, interval: 100 };

afterAll(async () => {
  await env?.stop();
});

async function fillStep(page: Page, n: number, field: string, value: string): Promise<void> {
  const input = page.locator(`[data-step="${n}"] input[data-field="${field}"]`);
  await input.fill(value);
  await input.press('Enter');
}

const units = async (page: Page) => page.locator('.fcol').evaluateAll((cols) => cols.map((c) => Number((c as HTMLElement).dataset.units)));

test('a 3-step funnel built in the UI shows the API numbers, in its tables and CSV; a reload reproduces it', async () => {
  const page = await dash.newPage();
  const errors = watchErrors(page);
  await page.goto(app(env, 'funnels', { period: 'today' }));
  await page.locator('.fbuilder').waitFor();
  await page.getByText('Build your funnel').waitFor();
  await shoot(page, 'funnels-empty');

  await fillStep(page, 1, 'path', home);
  await page.locator('[data-step="2"] [data-name="type"] button[data-value="click"]').click();
  await fillStep(page, 2, 'selector', selector);
  await page.getByRole('button', { name: '+ Add step' }).click();
  // (the 2-step funnel was already asked about when step 2 was filled: wait for the 3-step one)
  const queried = page.waitForResponse(
    (r) => r.url().includes('/api/funnels/query') && r.status() === 200 && r.request().postDataJSON()?.definition?.steps?.length === 3,
  );
  await fillStep(page, 3, 'path', two);
  const uiResult = (await (await queried).json()) as Result;
  await page.locator('.fcol[data-step="3"]').waitFor();
  await expect.poll(() => units(page), POLL).toEqual(EXPECTED);

  // The API, asked directly with the read token, says the same.
  const direct = await api<Result>('POST', '/api/funnels/query', {
    from: day(0), to: day(0),
    definition: { steps: [{ type: 'page_view', path: home }, { type: 'click', selector }, { type: 'page_view', path: two }] },
  });
  expect(direct.status).toBe(200);
  expect(direct.json.steps.map((s) => s.units)).toEqual(EXPECTED);
  expect(uiResult.steps.map((s) => s.units)).toEqual(EXPECTED);
  // on screen: units, % of step 1, → % of the previous step, ↓ dropped; the steps table
  const cols = await page.locator('.fcol').evaluateAll((cs) =>
    cs.map((c) => ({
      pct: c.querySelector('.fcol-pct')!.textContent!.trim(),
      units: c.querySelector('.fcol-units strong')!.textContent!.trim(),
      pill: Array.from(c.querySelector('.fpill')!.childNodes).map((n) => n.textContent!.trim()).filter(Boolean).join(' '),
    })),
  );
  expect(cols).toEqual([
    { pct: '100%', units: '8', pill: 'entered' },
    { pct: '75.0%', units: '6', pill: '→ 75.0% ↓ 2' },
    { pct: '37.5%', units: '3', pill: '→ 50.0% ↓ 3' },
  ]);
  for (const [i, s] of direct.json.steps.entries()) {
    expect(cols[i]!.pct).toBe(i === 0 ? '100%' : (s.conversion_from_first * 100).toFixed(1) + '%');
    if (i > 0) expect(cols[i]!.pill).toBe(`→ ${(s.conversion_from_previous * 100).toFixed(1)}% ↓ ${s.dropped}`);
  }
  const table = await page.locator('table[data-table="steps"] td[data-col="units"]').allTextContents();
  expect(table).toEqual(EXPECTED.map(String));
  expect(await page.locator('.fsummary').textContent()).toContain('37.5%');
  expect(await page.locator('.fsummary').textContent()).toContain('3 of 8 sessions');
  // time to convert: the histogram's bars hold the API's buckets, 3 converted sessions in all
  const hist = await page.locator('[data-chart="time-to-convert"] .fhist-col').evaluateAll((cs) => cs.map((c) => Number((c as HTMLElement).dataset.units)));
  expect(hist).toEqual(direct.json.time_to_convert.map((b) => b.units));
  expect(hist.reduce((a, b) => a + b, 0)).toBe(3);
  expect(direct.json.trend).toEqual([{ date: day(0), entered: 8, converted: 3, conversion: 0.375 }]);

  // CSV
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const csv = (await readFile((await dl.path())!, 'utf8')).trim().split('\n');
  expect(csv[0]).toBe('breakdown,step,name,units,from previous %,from first %,dropped,median ms,p90 ms,average ms');
  expect(csv.slice(1).map((l) => Number(l.split(',')[8]))).toEqual(direct.json.steps.map((s) => s.p90_ms_from_previous));
  expect(csv.slice(1).map((l) => l.split(',')[3])).toEqual(EXPECTED.map(String));
  expect(csv[3]).toContain(',37.5,');

  // the URL alone reproduces the funnel
  const url = page.url();
  expect(url).toContain('s2=click');
  const other = await dash.newPage();
  await other.goto(url);
  await other.locator('.fcol[data-step="3"]').waitFor();
  await expect.poll(() => units(other), POLL).toEqual(EXPECTED);
  await other.close();
  await shoot(page, 'funnels-results');
  figure('funnels', `3-step funnel in the UI: ${EXPECTED.join(' → ')} sessions, the API's numbers on screen, in the table and the CSV`);
  expect(errors).toEqual([]);
  await page.close();
});

test('drag and drop reorders the steps; a breakdown splits them; a saved funnel is listed', async () => {
  const page = await dash.newPage();
  const errors = watchErrors(page);
  const q = new URLSearchParams({ period: 'today', s1: 'page', s1p: home, s2: 'click', s2sel: selector, s3: 'page', s3p: two });
  await page.goto(app(env, 'funnels', Object.fromEntries(q)));
  await expect.poll(() => units(page), POLL).toEqual(EXPECTED);

  // drag step 3 (page two) onto step 1: page two, home, click
  await page.dragAndDrop('[data-step="3"] .drag', '[data-step="1"]');
  await expect.poll(() => new URL(page.url()).searchParams.get('s1p'), POLL).toBe(two);
  expect(new URL(page.url()).searchParams.get('s2p')).toBe(home);
  const reordered = await api<Result>('POST', '/api/funnels/query', {
    from: day(0), to: day(0),
    definition: { steps: [{ type: 'page_view', path: two }, { type: 'page_view', path: home }, { type: 'click', selector }] },
  });
  // page two first: the 3 full journeys (their home came before) and the backwards one, which then clicked
  expect(reordered.json.steps.map((s) => s.units)).toEqual([4, 1, 1]);
  await expect.poll(() => units(page), POLL).toEqual([4, 1, 1]);
  // ↑ moves it back down… by buttons
  await page.getByRole('button', { name: 'Move step 1 down' }).click();
  await page.getByRole('button', { name: 'Move step 2 down' }).click();
  await expect.poll(() => new URL(page.url()).searchParams.get('s3p'), POLL).toBe(two);
  await expect.poll(() => units(page), POLL).toEqual(EXPECTED);

  // breakdown by device: every journey ran on a desktop browser
  await page.locator('select[data-field="breakdown"]').selectOption('device');
  await page.locator('table[data-table="breakdown"] tr[data-value="desktop"]').waitFor();
  const row = await page.locator('table[data-table="breakdown"] tr[data-value="desktop"] td').allTextContents();
  expect(row[0]).toBe('Desktop');
  expect(row.slice(1, 4).map((t) => t.split(' ')[0])).toEqual(EXPECTED.map(String));
  expect(row[4]).toBe('37.5%');

  // save it: listed by the API, and picked back from the list
  await page.locator('input[data-field="name"]').fill('Home to page two');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  const saved = await api<{ funnels: Array<{ id: string; name: string; definition: { steps: unknown[]; breakdown?: string } }> }>('GET', '/api/funnels');
  expect(saved.json.funnels.map((f) => f.name)).toEqual(['Home to page two']);
  expect(saved.json.funnels[0]!.definition.steps).toHaveLength(3);
  expect(saved.json.funnels[0]!.definition.breakdown).toBe('device');
  await expect.poll(() => new URL(page.url()).searchParams.get('fid'), POLL).toBe(saved.json.funnels[0]!.id);
  await page.getByRole('button', { name: 'Start over' }).click();
  await page.getByText('Build your funnel').waitFor();
  await page.locator('select[data-field="saved"]').selectOption({ label: 'Home to page two' });
  await expect.poll(() => units(page), POLL).toEqual(EXPECTED);
  await shoot(page, 'funnels-breakdown');
  expect(errors).toEqual([]);
  await page.close();
});

test('clicking a drop-off lists the sessions behind it, the same the API lists', async () => {
  const page = await dash.newPage();
  const errors = watchErrors(page);
  await page.goto(app(env, 'funnels', { period: 'today', s1: 'page', s1p: home, s2: 'click', s2sel: selector, s3: 'page', s3p: two }));
  await expect.poll(() => units(page), POLL).toEqual(EXPECTED);
  const body = {
    from: day(0), to: day(0),
    definition: { steps: [{ type: 'page_view', path: home }, { type: 'click', selector }, { type: 'page_view', path: two }] },
  };
  type Members = { total: number; members: Array<{ session_id: string }> };
  for (const [button, furthest, n] of [['.fcol[data-step="3"] button.drop', 2, 3], ['.fcol[data-step="2"] button.drop', 1, 2], ['.fcol[data-step="3"] .fcol-units button', 3, 3]] as const) {
    await page.locator(button).click();
    const panel = page.locator(`.fmembers[data-furthest="${furthest}"]`);
    await panel.locator('table[data-table="members"] tbody tr').first().waitFor();
    const shown = await panel.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.session!));
    const listed = await api<Members>('POST', `/api/funnels/members?furthest=${furthest}`, body);
    expect(listed.status).toBe(200);
    expect(listed.json.total).toBe(n);
    expect(shown).toEqual(listed.json.members.map((m) => m.session_id));
    expect(shown).toHaveLength(n);
    expect(await panel.locator('tbody tr td').nth(3).textContent()).toBe('Desktop');
    if (furthest === 2) await shoot(page, 'funnels-dropped');
  }
  // A recording of one session that dropped after step 2, sent to /r from the site as the recorder
  // sends it: its row gets a Play link, which opens that session in the player.
  const dropped = (await api<Members>('POST', '/api/funnels/members?furthest=2', body)).json.members;
  const sid = dropped[0]!.session_id;
  const ctx = await env.browser.newContext();
  const site = await sitePage(env, ctx, '/static/page2.html');
  const stored = await site.evaluate(
    async ([origin, key, session]) => {
      const t = Date.now();
      const chunk = {
        v: 1, session_id: session, chunk_index: 0, from_ms: t - 1000, to_ms: t,
        events: [
          { type: 4, timestamp: t - 1000, data: { href: location.href, width: 1280, height: 800 } },
          { type: 2, timestamp: t - 999, data: { node: { type: 0, id: 1, childNodes: [] }, initialOffset: { left: 0, top: 0 } } },
        ],
      };
      const r = await fetch(`${origin}/r?k=${key}`, { method: 'POST', body: JSON.stringify(chunk) });
      return r.status;
    },
    [env.tap.origin, env.tap.project.public_key, sid] as const,
  );
  await ctx.close();
  expect(stored).toBe(200);
  await page.locator('.fcol[data-step="3"] button.drop').click();
  const panel = page.locator('.fmembers[data-furthest="2"]');
  const row = panel.locator(`tr[data-session="${sid}"]`);
  await row.getByRole('link', { name: /^Play the session/ }).waitFor();
  expect(await panel.getByRole('link', { name: /^Play the session/ }).count()).toBe(1);
  expect(await panel.getByText('not recorded').count()).toBe(2);
  await shoot(page, 'funnels-dropped-replay');
  await row.getByRole('link', { name: /^Play the session/ }).click();
  await page.waitForURL(new RegExp(`/app/replays\\?.*session=${sid}`));
  await page.goBack();
  await expect.poll(() => units(page), POLL).toEqual(EXPECTED);

  // the full journeys are the ones that converted: none of them dropped after step 2
  await page.locator('.fcol[data-step="3"] button.drop').click();
  await page.getByRole('button', { name: 'Close' }).click();
  expect(await page.locator('.fmembers').count()).toBe(0);
  figure('funnels', 'a drop-off click lists exactly the sessions /api/funnels/members lists (3 after step 2, 2 after step 1, 3 converted); a recorded one links its replay');
  expect(errors).toEqual([]);
  await page.close();
});

test('a step filter narrows its step: on desktop every journey, on mobile none; the URL keeps it', async () => {
  const page = await dash.newPage();
  const errors = watchErrors(page);
  await page.goto(app(env, 'funnels', { period: 'today', s1: 'page', s1p: home, s2: 'click', s2sel: selector, s3: 'page', s3p: two }));
  await expect.poll(() => units(page), POLL).toEqual(EXPECTED);
  await page.locator('[data-step="1"] .add-filter').click();
  const value = page.locator('[data-step="1"] [data-filter="device"] input[data-field="filter-value"]');
  await value.fill('desktop');
  await value.press('Enter');
  await expect.poll(() => page.url(), POLL).toContain('s1w=device%3Adesktop');
  await expect.poll(() => units(page), POLL).toEqual(EXPECTED);
  await value.fill('mobile');
  await value.press('Enter');
  await expect.poll(() => page.url(), POLL).toContain('s1w=device%3Amobile');
  await expect.poll(async () => (await units(page)).every((n) => n === 0), POLL).toBe(true);
  await shoot(page, 'funnels-step-filter');
  // a reload reproduces it; removing the filter restores the numbers
  await page.reload();
  await expect.poll(() => page.locator('[data-step="1"] [data-filter="device"] input[data-field="filter-value"]').inputValue(), POLL).toBe('mobile');
  await page.getByRole('button', { name: 'Remove the device filter' }).click();
  await expect.poll(() => units(page), POLL).toEqual(EXPECTED);
  expect(page.url()).not.toContain('s1w=');
  expect(errors).toEqual([]);
  await page.close();
});

test('at phone width the builder stacks above the results, nothing runs off the screen', async () => {
  const ctx = await dashboardContext(env, PHONE);
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  const q = { period: 'today', s1: 'page', s1p: home, s2: 'click', s2sel: selector, s3: 'page', s3p: two };
  await page.goto(app(env, 'funnels', q));
  await expect.poll(() => units(page), POLL).toEqual(EXPECTED);
  const overflow = await page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  // every control of the builder inside its card
  const outside = await page.locator('.fbuilder').evaluate((card) => {
    const c = card.getBoundingClientRect();
    return Array.from(card.querySelectorAll('button, input, select'))
      .map((e) => e.getBoundingClientRect())
      .filter((r) => r.width > 0 && (r.left < c.left - 1 || r.right > c.right + 1)).length;
  });
  expect(outside).toBe(0);
  const b = await page.locator('.fbuilder').boundingBox();
  const r = await page.locator('.fresults').boundingBox();
  expect(r!.y).toBeGreaterThan(b!.y + b!.height - 1);
  await shoot(page, 'funnels-results');
  expect(errors).toEqual([]);
  await ctx.close();
});

test('a step the server refuses says why inside the results panel, and which field to change', async () => {
  const page = await dash.newPage();
  const errors = watchErrors(page, [/status of 400/]);
  await page.goto(app(env, 'funnels', { period: 'today', s1: 'page', s1p: home, s2: 'page', s2p: two }));
  await expect.poll(() => units(page), POLL).toEqual([8, 3]);
  // step 2 becomes a regex that could take exponential time: refused, and the old numbers go away
  await page.locator('[data-step="2"] select[data-field="match"]').selectOption('regex');
  await fillStep(page, 2, 'path', '(a+)+');
  const alert = page.locator('.fresults [role="alert"]');
  await alert.waitFor();
  expect(await alert.locator('.state-title').textContent()).toBe("This funnel can't be counted");
  expect(await alert.textContent()).toContain('Step 2 path: a repeated group that itself repeats or has alternatives');
  expect(await page.locator('.fcol').count()).toBe(0);
  await shoot(page, 'funnels-error');
  // a valid regex again: the numbers come back
  await fillStep(page, 2, 'path', '^/static/page2');
  await expect.poll(() => units(page), POLL).toEqual([8, 3]);
  expect(errors).toEqual([]);
  await page.close();
});
