// What the dashboard e2e tests share: the real server (build/tapistry, with the dashboard embedded)
// plus the sample sites, a signed-in browser context (the one-time link `tapistry serve` prints,
// redeemed once; its cookie is copied into every context), screenshots into e2e/out/screenshots/,
// the run's measured figures into e2e/out/figures.txt, and helpers that read what the server stored.
import { appendFileSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launch } from './browser';
import { startSites } from './static-server';
import { execFileSync } from 'node:child_process';
import { BINARY, freePort, REPO, type Running, startTapistry } from './tapistry-server';

export const SHOTS = join(REPO, 'e2e', 'out', 'screenshots');
// What a run measured against the acceptance figures, a line per check; scripts/test-dashboard
// empties it before the e2e step and prints it after.
export const FIGURES = join(REPO, 'e2e', 'out', 'figures.txt');
export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface DashEnv {
  tap: Running;
  site: string;
  browser: Browser;
  cookie: { name: string; value: string };
  stop(): Promise<void>;
}

async function signinLink(tap: Running): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const m = /(https?:\/\/\S+\/auth\/signin\?token=[^\s"']+)/.exec(tap.log());
    if (m) return m[1]!;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('tapistry serve printed no sign-in link:\n' + tap.log());
}

export async function startDashboardEnv(): Promise<DashEnv> {
  const sitePort = await freePort();
  const site = `http://127.0.0.1:${sitePort}`;
  const tap = await startTapistry(site);
  const manifest = (await (await fetch(tap.origin + '/v1/manifest.json')).json()) as { files: Record<string, { integrity: string }> };
  const sri = manifest.files['tapistry.js']!.integrity;
  const sites: Server = await startSites(sitePort, () => ({ tapistry: tap.origin, key: tap.project.public_key, sri }));
  const cookie = await redeem(tap, await signinLink(tap));
  const browser = await launch();
  mkdirSync(SHOTS, { recursive: true });
  return {
    tap,
    site,
    browser,
    cookie,
    async stop() {
      await browser.close();
      await new Promise((res) => sites.close(res));
      await tap.stop();
    },
  };
}

/** Redeems a sign-in link (printed with the listen address) against the origin we use. */
async function redeem(tap: Running, link: string): Promise<{ name: string; value: string }> {
  const u = new URL(link);
  const r = await fetch(tap.origin + u.pathname + u.search, { redirect: 'manual' });
  const set = r.headers.get('set-cookie') ?? '';
  const m = /^([^=;\s]+)=([^;]*)/.exec(set);
  if (r.status !== 302 || !m) throw new Error(`sign-in failed: ${r.status} ${set}`);
  return { name: m[1]!, value: m[2]! };
}

/** A session of its own (a new link from `tapistry signin-link`), for tests that end it. */
export async function freshSession(env: DashEnv): Promise<{ name: string; value: string }> {
  const link = execFileSync(BINARY, ['signin-link', '--data', env.tap.data], { encoding: 'utf8' }).trim();
  return redeem(env.tap, link);
}

/** A browser context signed in to the dashboard (the shared session unless `cookie` is given). */
export async function dashboardContext(env: DashEnv, viewport = DESKTOP, deviceScaleFactor = 1, cookie = env.cookie): Promise<BrowserContext> {
  const context = await env.browser.newContext({ viewport, deviceScaleFactor });
  await context.addCookies([{ name: cookie.name, value: cookie.value, url: env.tap.origin, httpOnly: true, sameSite: 'Lax' }]);
  return context;
}

/** Dashboard URL for a route and query. */
export function app(env: DashEnv, route: string, q: Record<string, string> = {}): string {
  const qs = new URLSearchParams({ project: env.tap.project.project_id, ...q }).toString();
  return `${env.tap.origin}/app/${route}?${qs}`;
}

/** Fails the test on an uncaught page error or a console error the dashboard did not expect. */
export function watchErrors(page: Page, ignore: RegExp[] = []): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const t = m.text();
    if (ignore.some((r) => r.test(t))) return;
    errors.push('console: ' + t);
  });
  return errors;
}

export function figure(name: string, value: string): void {
  mkdirSync(join(REPO, 'e2e', 'out'), { recursive: true });
  appendFileSync(FIGURES, `${name}: ${value}\n`);
}

export async function shoot(page: Page, name: string): Promise<string> {
  const vp = page.viewportSize()!;
  const file = join(SHOTS, `${name}-${vp.width}x${vp.height}.png`);
  // from the top: a full-page capture of a scrolled page paints sticky bars mid-page
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(50);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function readApi<T>(env: DashEnv, endpoint: string, q: Record<string, string>): Promise<{ status: number; body: T }> {
  const day = (o: number) => new Date(Date.now() + o * 86400000).toISOString().slice(0, 10);
  const p = new URLSearchParams({ project_id: env.tap.project.project_id, from: day(-1), to: day(1), ...q });
  const r = await fetch(`${env.tap.origin}${endpoint}?${p}`, { headers: { Authorization: `Bearer ${env.tap.project.read_token}` } });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV or an error page
  }
  return { status: r.status, body: body as T };
}

/** Whether the server has an endpoint (an older build answers 404 "no API endpoint"). */
export async function hasEndpoint(env: DashEnv, endpoint: string, q: Record<string, string> = {}): Promise<boolean> {
  const r = await readApi<{ reason?: string }>(env, endpoint, q);
  return !(r.status === 404 && String(r.body?.reason ?? '').startsWith('no API endpoint'));
}

/** A site page with the snippet, loaded and started. */
export async function sitePage(env: DashEnv, context: BrowserContext, path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(env.site + path);
  await page.waitForFunction(() => (window as any).tapistry?.loaded === true);
  return page;
}

/**
 * Posts a DOM snapshot of the page as it is now to POST /s, the way the SDK's capture does (scripts
 * removed, URLs absolute): lets a test choose exactly which version of the page the heatmap is
 * drawn over.
 */
export async function postSnapshot(env: DashEnv, page: Page): Promise<void> {
  const snap = await page.evaluate(() => {
    const doc = document.documentElement.cloneNode(true) as HTMLElement;
    doc.querySelectorAll('script').forEach((s) => s.remove());
    const se = document.scrollingElement || document.documentElement;
    return {
      url: location.href.split('?')[0]!,
      viewport: { w: innerWidth, h: innerHeight },
      doc: { w: se.scrollWidth, h: se.scrollHeight },
      html: '<!doctype html>' + doc.outerHTML,
    };
  });
  const r = await fetch(env.tap.origin + '/s', {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Origin: env.site },
    body: JSON.stringify({ k: env.tap.project.public_key, ...snap }),
  });
  if (!r.ok) throw new Error(`POST /s ${r.status}: ${await r.text()}`);
}
