// Debian's Chromium driven by playwright-core (nothing downloads a browser), and helpers to read
// back what the real server stored for one visitor.
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { E2eEnv } from '../global-setup';

/**
 * Chromium for the tests. The sample sites' visitors stand for people: the browser's user agent is
 * desktop Chrome's (not "HeadlessChrome"; set with --user-agent, so that beacons sent at page exit,
 * which bypass a context's override, carry it too) and navigator.webdriver is off, else the server
 * scores every visit a bot (spec §7) and the dashboard rightly leaves it out. A test about bots, or
 * a phone, passes its own userAgent.
 */
export const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-blink-features=AutomationControlled',
      `--user-agent=${DESKTOP_UA}`,
    ],
  });
}

/** The user agent of a phone: iOS Safari on an iPhone (device class mobile on the server). */
export const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  return { context, page };
}

/** The anonymous_id the SDK stored in its first-party cookie. */
export async function anonymousId(context: BrowserContext): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const c = (await context.cookies()).find((x) => x.name === '_tap');
    if (c) return decodeURIComponent(c.value).split('.')[1]!;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no _tap cookie: the SDK did not start');
}

export interface Stored {
  id: string;
  type: string;
  path: string;
  url: string;
  anonymous_id: string;
  session_id: string;
  ts: number;
  x?: number;
  y?: number;
  ex?: number;
  ey?: number;
  selector?: string;
  selector_hash?: string | number;
  props?: Record<string, unknown>;
  [k: string]: unknown;
}

function day(offset: number): string {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

/** Events of `type` stored for visitor `anon`, oldest first. */
export async function stored(env: E2eEnv, anon: string, type: string): Promise<Stored[]> {
  const q = new URLSearchParams({ project_id: env.project.project_id, from: day(-1), to: day(1), type, limit: '10000' });
  const r = await fetch(`${env.tapistry}/api/events?${q}`, { headers: { Authorization: `Bearer ${env.project.read_token}` } });
  if (!r.ok) throw new Error(`/api/events ${r.status}: ${await r.text()}`);
  const body = (await r.json()) as { events: Stored[] };
  return body.events.filter((e) => e.anonymous_id === anon).sort((a, b) => a.ts - b.ts);
}

/** Polls until `count` events of `type` are stored for `anon` (then waits a little for extras). */
export async function waitStored(env: E2eEnv, anon: string, type: string, count: number, ms = 15000): Promise<Stored[]> {
  const end = Date.now() + ms;
  let got: Stored[] = [];
  while (Date.now() < end) {
    got = await stored(env, anon, type);
    if (got.length >= count) {
      await new Promise((r) => setTimeout(r, 700));
      return stored(env, anon, type);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return got;
}

/** Asks the SDK on `page` to send what it has queued. */
export function flush(page: Page): Promise<void> {
  return page.evaluate(() => (window as any).tapistry('flush'));
}
