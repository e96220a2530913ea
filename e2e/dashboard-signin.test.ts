// Issue 12, end to end in Chromium: sign in by email. A real SMTP sink (npm smtp-server on
// 127.0.0.1, started here) receives what `tapistry serve --smtp-host` sends through libcurl. The
// browser asks for a link on the dashboard's sign-in page, the test reads the mail from the sink,
// the browser opens the link, confirms, lands on the dashboard signed in, and signs out. The same
// link opened again, or from another browser, is refused; so is a link older than 15 minutes (the
// test ages the stored link in the server's meta store with Debian's sqlite3: the server's own
// clock and code decide).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launch } from './lib/browser';
import { DESKTOP, shoot } from './lib/dashboard';
import { BINARY, freePort, type Running, startTapistry } from './lib/tapistry-server';

interface Mail {
  from: string;
  to: string[];
  data: string;
}

let sink: SMTPServer;
let mails: Mail[] = [];
let tap: Running;
let browser: Browser;

async function waitMail(n: number, ms = 10000): Promise<Mail> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (mails.length >= n) return mails[n - 1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no mail #${n} within ${ms} ms; server log:\n${tap.log()}`);
}

beforeAll(async () => {
  const smtpPort = await freePort();
  sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString('utf8')));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
        });
        callback();
      });
    },
  });
  await new Promise<void>((r) => sink.listen(smtpPort, '127.0.0.1', r));
  tap = await startTapistry('http://127.0.0.1:9', (port) => [
    '--public-url',
    `http://127.0.0.1:${port}`,
    '--owner-email',
    'Owner@Example.test',
    '--smtp-host',
    '127.0.0.1',
    '--smtp-port',
    String(smtpPort),
    '--smtp-tls',
    'none',
    '--smtp-from',
    'tapistry@example.test',
  ]);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await tap?.stop();
  await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
});

test('sign in with a link from the mail, land on the dashboard, sign out', async () => {
  const ctx = await browser.newContext({ viewport: DESKTOP });
  const page = await ctx.newPage();
  await page.goto(tap.origin + '/app/');
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();

  // An address that is not a user's gets the same "Check your email", and no mail.
  await page.getByLabel('Email').fill('stranger@example.test');
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await page.getByRole('button', { name: 'use another address' }).click();

  await page.getByLabel('Email').fill('owner@example.test');
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await shoot(page, 'signin-check-email');
  const mail = await waitMail(1);
  expect(mails.length).toBe(1);
  expect(mail.to).toEqual(['owner@example.test']);
  expect(mail.from).toBe('tapistry@example.test');
  expect(mail.data).toMatch(/^Subject: Your Tapistry sign-in link\r$/m);
  const link = /(http:\/\/127\.0\.0\.1:\d+\/auth\/confirm\?t=sl_[0-9a-f]{64})/.exec(mail.data)?.[1];
  expect(link, mail.data).toBeTruthy();
  expect(link!.startsWith(tap.origin)).toBe(true);

  // Another browser (no pre-session cookie) cannot use it, and does not use it up.
  const other = await browser.newContext({ viewport: DESKTOP });
  const otherPage = await other.newPage();
  const refused = await otherPage.goto(link!);
  expect(refused!.status()).toBe(403);
  await otherPage.getByText('did not ask for this link').waitFor();
  await other.close();

  // This browser: a page with a button (opening the link used nothing up), then the dashboard.
  await page.goto(link!);
  await page.getByRole('heading', { name: 'Sign in to Tapistry' }).waitFor();
  await shoot(page, 'signin-confirm');
  await Promise.all([page.waitForURL(/\/app\/$/), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.getByRole('button', { name: 'Sign out' }).first().waitFor();
  const cookies = await ctx.cookies();
  const session = cookies.find((c) => c.name === 'tap_session');
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe('Lax');
  expect(cookies.find((c) => c.name === 'tap_presession')).toBeUndefined();
  const me = await page.evaluate(() => fetch('/api/me').then((r) => r.json()));
  expect(me.user.email).toBe('owner@example.test');
  const sessions = await page.evaluate(() => fetch('/api/me/sessions').then((r) => r.json()));
  expect(sessions.sessions.length).toBe(1);
  expect(sessions.sessions[0].current).toBe(true);

  // The same link again: the browser's nonce was spent at sign-in, so it is refused at once; and
  // with a fresh nonce (another request from this browser, here for a stranger: no mail) the
  // token itself is refused: it worked once.
  const spent = await page.goto(link!);
  expect(spent!.status()).toBe(403);
  await page.goto(tap.origin + '/app/');
  const asked = await page.evaluate(() =>
    fetch('/auth/request', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'stranger@example.test' }) }).then((r) => r.status),
  );
  expect(asked).toBe(202);
  const again = await page.goto(link!);
  expect(again!.status()).toBe(200);
  const [reused] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
  expect(reused!.status()).toBe(401);
  await page.getByText('already used').waitFor();

  // Settings lists the user's sessions; another one (the owner's printed link, redeemed elsewhere)
  // is ended from here and its cookie stops working.
  const printed = /(\/auth\/signin\?token=[0-9a-f]+)/.exec(tap.log())?.[1];
  expect(printed, tap.log()).toBeTruthy();
  const elsewhere = await fetch(tap.origin + printed!, { redirect: 'manual', headers: { 'User-Agent': 'Mozilla/5.0 (Windows NT 10.0) Firefox/128.0' } });
  expect(elsewhere.status).toBe(302);
  const elsewhereCookie = /^(tap_session=[^;]+)/.exec(elsewhere.headers.get('set-cookie') ?? '')![1]!;
  expect((await fetch(tap.origin + '/api/me', { headers: { cookie: elsewhereCookie } })).status).toBe(200);
  await page.goto(`${tap.origin}/app/settings?project=${tap.project.project_id}&tab=sessions`);
  const card = page.locator('.session-card');
  await card.getByText('This browser').waitFor();
  await card.getByText('Firefox on Windows').waitFor();
  await shoot(page, 'settings-sessions');
  await card.getByRole('button', { name: 'End session' }).click();
  await card.getByText('Firefox on Windows').waitFor({ state: 'detached' });
  expect((await fetch(tap.origin + '/api/me', { headers: { cookie: elsewhereCookie } })).status).toBe(401);

  // Sign out: back to the sign-in page, the session ended on the server too.
  await page.goto(tap.origin + '/app/');
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  expect((await ctx.cookies()).filter((c) => c.name === 'tap_session')).toEqual([]);
  expect(await page.evaluate(() => fetch('/api/me').then((r) => r.status))).toBe(401);
  const copy = await fetch(tap.origin + '/api/me', { headers: { cookie: `tap_session=${session!.value}` } });
  expect(copy.status).toBe(401);
  await ctx.close();
});

test('tapistry user add: a new user gets a link too; user list marks the owner', async () => {
  const added = JSON.parse(execFileSync(BINARY, ['user', 'add', '--data', tap.data, '--email', 'Second@Example.test'], { encoding: 'utf8' })) as { user_id: string; email: string };
  expect(added.email).toBe('second@example.test');
  expect(added.user_id).toMatch(/^u_[0-9a-f]{16}$/);
  const listed = JSON.parse(execFileSync(BINARY, ['user', 'list', '--data', tap.data], { encoding: 'utf8' })) as { users: { id: string; email: string; owner: boolean }[] };
  expect(listed.users.map((u) => [u.email, u.owner])).toEqual([
    ['owner@example.test', true],
    ['second@example.test', false],
  ]);
  const before = mails.length;
  const r = await fetch(tap.origin + '/auth/request', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'second@example.test' }) });
  expect(r.status).toBe(202);
  const mail = await waitMail(before + 1);
  expect(mail.to).toEqual(['second@example.test']);
  expect(mail.data).toContain(tap.origin + '/auth/confirm?t=sl_');
});

test('a link older than 15 minutes is refused, and a new one works', async () => {
  const ctx = await browser.newContext({ viewport: DESKTOP });
  const page = await ctx.newPage();
  const ask = async () => {
    await page.goto(tap.origin + '/app/');
    await page.getByLabel('Email').fill('owner@example.test');
    const before = mails.length;
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const mail = await waitMail(before + 1);
    return /(http:\/\/127\.0\.0\.1:\d+\/auth\/confirm\?t=sl_[0-9a-f]{64})/.exec(mail.data)![1]!;
  };
  const link = await ask();
  // 16 minutes pass for the link: its expiry moved back (the only unexpired link is this one)
  execFileSync('sqlite3', [join(tap.data, 'meta.db'), `PRAGMA busy_timeout=5000; UPDATE signin_links SET expires_ms = expires_ms - ${16 * 60 * 1000};`]);
  try {
    await page.goto(link);
    const [expired] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(expired!.status()).toBe(401);
    await page.getByText('expired').first().waitFor();
    await shoot(page, 'signin-expired');
    expect((await ctx.cookies()).filter((c) => c.name === 'tap_session')).toEqual([]);
    // a fresh link, asked for now, signs in
    const fresh = await ask();
    await page.goto(fresh);
    await Promise.all([page.waitForURL(/\/app\/$/), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await page.evaluate(() => fetch('/api/me').then((r) => r.status))).toBe(200);
  } finally {
    await ctx.close();
  }
});
