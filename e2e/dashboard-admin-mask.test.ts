// Issue 12, Settings → Session replay, "Preview on a page", end to end in Chromium against the real
// server: before any visit the preview says how to get a snapshot (and "Check again" finds it once
// there is one); a sample page (a product title, an account number, a chat widget, two form
// fields) is visited and the SDK captures its snapshot; the owner adds mask, allow and ignore
// selectors and the preview — over that snapshot, before anything is saved — masks, leaves out and
// shows the right elements, with the right counts, where the page lays them out; an invalid
// selector is said inline and, as in the SDK, turns its whole list off; Discard puts the preview
// back. On a phone: the loading state, and the snapshot scaled to the screen.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { app, dashboardContext, type DashEnv, DESKTOP, PHONE, readApi, shoot, SHOTS, startDashboardEnv, watchErrors } from './lib/dashboard';

const PATH = '/static/dash-mask.html';
type Box = { x: number; y: number; w: number; h: number };

let env: DashEnv;
let dash: BrowserContext;
/** Where the sample page lays out its elements (page CSS px, 1280 px wide). */
let boxes: Record<string, Box> = {};
/** The settings page left on the preview's empty state by the first test. */
let emptyPage: { page: Page; errors: string[] } | undefined;

beforeAll(async () => {
  env = await startDashboardEnv();
  dash = await dashboardContext(env, DESKTOP);
});

afterAll(async () => {
  await dash?.close();
  await env?.stop();
});

async function openSettings(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(app(env, 'settings', { tab: 'settings' }));
  await page.getByRole('heading', { name: 'Preview on a page' }).waitFor();
  return { page, errors };
}

/** Types a selector into one of the three lists and adds it (Enter, as a person would). */
async function addSelector(page: Page, list: 'mask' | 'allow' | 'ignore', selector: string): Promise<void> {
  const input = page.locator(`#f-replay_${list}_selectors`);
  await input.fill(selector);
  await input.press('Enter');
}

/** Waits for the counts line to read exactly `text`. */
async function counts(page: Page, text: string): Promise<void> {
  const exact = new RegExp('^' + text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$');
  await page.locator('.mp-counts', { hasText: exact }).waitFor({ timeout: 10000 });
}

/** The preview's marks: kind, what put them there, and their box in page px (the frame's scale undone). */
async function marks(page: Page): Promise<Array<{ kind: string; why: string; title: string; box: Box }>> {
  return page.evaluate(() => {
    const frame = document.querySelector('.mask-preview .frame-box')!.getBoundingClientRect();
    const iframe = document.querySelector('.mask-preview iframe') as HTMLIFrameElement;
    const k = iframe.getBoundingClientRect().width / iframe.offsetWidth;
    return Array.from(document.querySelectorAll<HTMLElement>('.mp-mark')).map((m) => {
      const r = m.getBoundingClientRect();
      return {
        kind: m.dataset.kind!,
        why: m.dataset.why!,
        title: m.title,
        box: { x: (r.left - frame.left) / k, y: (r.top - frame.top) / k, w: r.width / k, h: r.height / k },
      };
    });
  });
}

/** Same box within `tol` px; `width: false` for shrink-to-fit text, whose masked copy is a little wider or narrower. */
function near(a: Box, b: Box, tol = 3, width = true): boolean {
  return Math.abs(a.x - b.x) <= tol && Math.abs(a.y - b.y) <= tol && (!width || Math.abs(a.w - b.w) <= tol) && Math.abs(a.h - b.h) <= tol;
}

test('before any snapshot, the preview says how to get one', async () => {
  const { page, errors } = await openSettings(dash);
  const empty = page.locator('.mask-preview .state-empty');
  await empty.waitFor();
  expect(await empty.locator('.state-title').textContent()).toBe('No page snapshot yet');
  expect(await empty.textContent()).toMatch(/open a page of your site that has the snippet/);
  await shoot(page, 'settings-mask-preview-empty');
  emptyPage = { page, errors };
});

test('the SDK captures the sample page’s snapshot', async () => {
  const site = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await site.newPage();
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/s', { timeout: 30000 });
  await page.goto(env.site + PATH);
  expect((await posted).status()).toBe(202);
  boxes = await page.evaluate(() => {
    const out: Record<string, { x: number; y: number; w: number; h: number }> = {};
    const sels = ['#support-chat', '.account', '.product-title', 'header h2', '#email', '#message'];
    for (const s of sels) {
      const r = document.querySelector(s)!.getBoundingClientRect();
      out[s] = { x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height };
    }
    return out;
  });
  await page.evaluate(() => (window as any).tapistry('flush'));
  await site.close();
  // the page view is queryable (the preview lists pages that have views and a snapshot)
  for (let i = 0; i < 50; i++) {
    const r = await readApi<{ paths: Array<{ path: string }> }>(env, '/api/paths', {});
    if (r.body.paths?.some((p) => p.path === PATH)) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const st = await readApi<{ exists: boolean }>(env, '/api/snapshot/status', { path: PATH });
  expect(st.body.exists).toBe(true);
  // the page left on the empty state finds it with "Check again"
  const left = emptyPage!;
  await left.page.getByRole('button', { name: 'Check again' }).click();
  await left.page.locator('.mp-layer').waitFor();
  expect(await left.page.locator('.mask-preview select').inputValue()).toBe(PATH);
  await left.page.close();
  expect(left.errors).toEqual([]);
});

test('draft selectors are previewed on the snapshot: masked, ignored and shown elements, counts, an invalid selector said inline', async () => {
  const { page, errors } = await openSettings(dash);
  await page.locator('.mask-preview select').waitFor();
  expect(await page.locator('.mask-preview select option').allTextContents()).toEqual([PATH]);
  await page.locator('.mp-layer').waitFor();
  // No rules yet: the form fields are masked anyway
  await counts(page, '2 elements masked (all form fields), 0 ignored, 0 shown');
  expect((await marks(page)).map((m) => m.why)).toEqual(['form field', 'form field']);
  // the captured snapshot is masked (the snippet's default): the note says what that means
  expect(await page.locator('.mp-note').textContent()).toMatch(/only shown elements are readable in a recording/);

  await addSelector(page, 'mask', '.account');
  await addSelector(page, 'allow', '.product-title');
  await addSelector(page, 'allow', 'h2');
  await addSelector(page, 'ignore', '#support-chat');
  // the account's h2 matches "h2" but stays masked (mask wins): 2 shown, not 3
  await counts(page, '3 elements masked (2 form fields), 1 ignored, 2 shown');
  expect(await page.locator('.mp-overridden').textContent()).toMatch(/^1 element an unmasked selector matches stays masked/);
  expect(await page.locator('.mp-problem').count()).toBe(0);
  await page.getByText('● Unsaved changes').waitFor();

  const m = await marks(page);
  const of = (kind: string) => m.filter((x) => x.kind === kind);
  expect(of('ignored').map((x) => x.why)).toEqual(['#support-chat']);
  expect(of('masked').map((x) => x.why)).toEqual(['.account', 'form field', 'form field']);
  expect(of('shown').map((x) => x.why).sort()).toEqual(['.product-title', 'h2']);
  // each drawn where the page lays the element out
  expect(near(of('ignored')[0]!.box, boxes['#support-chat']!), JSON.stringify([of('ignored')[0], boxes['#support-chat']])).toBe(true);
  expect(near(of('masked')[0]!.box, boxes['.account']!)).toBe(true);
  expect(near(of('masked')[1]!.box, boxes['#email']!)).toBe(true);
  const shown = of('shown').map((x) => x.box);
  expect(shown.some((b) => near(b, boxes['.product-title']!, 3, false)), JSON.stringify([shown, boxes])).toBe(true);
  expect(shown.some((b) => near(b, boxes['header h2']!, 3, false))).toBe(true);
  expect(of('ignored')[0]!.title).toMatch(/ignored \(#support-chat\)/);

  // the copy in the frame looks as a recording would: the chat emptied to a box of its size, the
  // account's text masked (the snapshot's text is masked already: it stays the same shape)
  const inFrame = await page.evaluate(() => {
    const d = (document.querySelector('.mask-preview iframe') as HTMLIFrameElement).contentDocument!;
    const chat = d.querySelector('#support-chat') as HTMLElement;
    return { chatKids: chat.childNodes.length, chatW: chat.offsetWidth, chatH: chat.offsetHeight, number: d.querySelector('.account-number')!.textContent };
  });
  expect(inFrame).toMatchObject({ chatKids: 0, chatW: 320, chatH: 260 });
  expect(inFrame.number).toMatch(/^XX00 0000 0000 0000 0000 00$/);
  await shoot(page, 'settings-mask-preview');
  await page.locator('.mask-preview').screenshot({ path: join(SHOTS, `settings-mask-preview-panel-${DESKTOP.width}x${DESKTOP.height}.png`) });

  // An invalid selector: said inline; like the SDK, its whole list stops matching (one selector)
  await addSelector(page, 'mask', '.price[');
  const problem = page.locator('.mp-problem[data-list="mask"]');
  await problem.waitFor();
  expect(await problem.textContent()).toBe(
    'Masked selectors: “.price[” is not a valid CSS selector. While it is in the list, the other selector (.account) does not apply either: the snippet reads the list as one selector.',
  );
  await counts(page, '2 elements masked (all form fields), 1 ignored, 3 shown');
  await page.locator('.mask-preview').screenshot({ path: join(SHOTS, `settings-mask-preview-invalid-${DESKTOP.width}x${DESKTOP.height}.png`) });
  await page.getByRole('button', { name: 'Remove .price[' }).click();
  await counts(page, '3 elements masked (2 form fields), 1 ignored, 2 shown');
  expect(await problem.count()).toBe(0);

  // nothing was saved: the preview is of the draft, and Discard puts it back
  const saved = await page.evaluate(async (pid) => (await (await fetch('/api/settings?project_id=' + pid)).json()).settings, env.tap.project.project_id);
  expect(saved).toMatchObject({ replay_mask_selectors: [], replay_allow_selectors: [], replay_ignore_selectors: [] });
  await page.getByRole('button', { name: 'Discard' }).click();
  await counts(page, '2 elements masked (all form fields), 0 ignored, 0 shown');
  await page.close();
  expect(errors).toEqual([]);
});

test('the preview on a phone', async () => {
  const phone = await dashboardContext(env, PHONE, 2);
  // a slow snapshot: the panel says it is loading meanwhile
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  await phone.route(/\/api\/snapshot\?/, async (route) => {
    await held;
    await route.continue();
  });
  const { page, errors } = await openSettings(phone);
  const loading = page.locator('.mp-loading');
  await loading.waitFor();
  expect((await loading.textContent())!.trim()).toBe(`Loading the snapshot of ${PATH}…`);
  await page.locator('.mask-preview').screenshot({ path: join(SHOTS, `settings-mask-preview-loading-${PHONE.width}x${PHONE.height}.png`) });
  release();
  await page.locator('.mp-layer').waitFor();
  expect(await loading.count()).toBe(0);
  await addSelector(page, 'mask', '.account');
  await addSelector(page, 'allow', '.product-title');
  await addSelector(page, 'ignore', '#support-chat');
  await counts(page, '3 elements masked (2 form fields), 1 ignored, 1 shown');
  // the snapshot is scaled to the panel: nothing wider than the screen
  const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, stage: document.querySelector('.mp-stage')!.getBoundingClientRect().right }));
  expect(widths.doc).toBeLessThanOrEqual(PHONE.width);
  expect(widths.stage).toBeLessThanOrEqual(PHONE.width);
  await shoot(page, 'settings-mask-preview');
  await page.locator('.mask-preview').screenshot({ path: join(SHOTS, `settings-mask-preview-panel-${PHONE.width}x${PHONE.height}.png`) });
  await phone.close();
  expect(errors).toEqual([]);
});
