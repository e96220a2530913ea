// Identity and sessions: the `_tap` cookie (default), localStorage, cookieless mode, 30-minute
// inactivity rollover (also across page loads and tabs), identify and reset.
import { CookieJar } from 'jsdom';
import { expect, test } from 'vitest';
import { makePage, ORIGIN, T0, type Page } from './load';

const MIN = 60_000;
const cookie = (p: Page) => /_tap=([^;]*)/.exec(p.doc.cookie)?.[1];

async function firstEvent(p: Page) {
  p.tap('flush');
  await p.tick(0);
  return p.events()[0];
}

test('ids live in a first-party cookie; a reload within 30 minutes keeps visitor and session', async () => {
  const jar = new CookieJar();
  const a = await makePage({ cookieJar: jar });
  const ea = await firstEvent(a);
  expect(decodeURIComponent(cookie(a)!)).toContain(ea.anonymous_id + '.' + ea.session_id);
  const b = await makePage({ cookieJar: jar, now: T0 + 29 * MIN });
  const eb = await firstEvent(b);
  expect([eb.anonymous_id, eb.session_id]).toEqual([ea.anonymous_id, ea.session_id]);
  const c = await makePage({ cookieJar: jar, now: T0 + 29 * MIN + 31 * MIN });
  const ec = await firstEvent(c);
  expect(ec.anonymous_id).toBe(ea.anonymous_id);
  expect(ec.session_id).not.toBe(ea.session_id);
});

test('the cookie is SameSite=Lax and Secure on https, for 13 months', async () => {
  const jar = new CookieJar();
  await makePage({ cookieJar: jar });
  const [c] = jar.getCookiesSync(ORIGIN);
  expect(c).toMatchObject({ key: '_tap', sameSite: 'lax', secure: true, path: '/' });
  expect(c!.maxAge).toBeGreaterThan(390 * 86400);
  expect(c!.maxAge).toBeLessThan(400 * 86400);
});

test('30 minutes without events start a new session on the open page, beginning with a page_view', async () => {
  const p = await makePage();
  const first = await firstEvent(p);
  await p.tick(31 * MIN);
  p.tap('track', 'back');
  p.tap('flush');
  await p.tick(0);
  const evs = p.events().slice(2); // after the first page_view and its milestone
  // the old page view ends, a new one begins the new session, then the event itself
  expect(evs.map((e) => e.type)).toEqual(['scroll', 'page_view', 'scroll_milestone', 'custom']);
  const [, pv, , custom] = evs;
  expect(custom.name).toBe('back');
  expect(pv.session_id).toBe(custom.session_id);
  expect(pv.session_id).not.toBe(first.session_id);
  expect(pv.anonymous_id).toBe(first.anonymous_id);
});

test('activity in another tab keeps the session alive', async () => {
  const jar = new CookieJar();
  const p = await makePage({ cookieJar: jar });
  const first = await firstEvent(p);
  await p.tick(25 * MIN);
  const other = await makePage({ cookieJar: jar, now: T0 + 25 * MIN }); // the other tab, active now
  await other.tick(0);
  await p.tick(10 * MIN); // this tab idle for 35 min, the session only 10
  p.tap('track', 'x');
  p.tap('flush');
  await p.tick(0);
  expect(p.events('custom')[0].session_id).toBe(first.session_id);
});

test('localStorage persistence stores no cookie', async () => {
  const p = await makePage({ attrs: 'data-persistence="localStorage"' });
  const e = await firstEvent(p);
  expect(p.doc.cookie).toBe('');
  expect(decodeURIComponent(p.w.localStorage.getItem('_tap'))).toContain(e.anonymous_id);
});

test('cookieless mode stores nothing and still gives page views, clicks and scroll, per page load', async () => {
  const jar = new CookieJar();
  const a = await makePage({ cookieJar: jar, attrs: 'data-persistence="none"' });
  a.click(a.doc.getElementById('buy')!, 10, 10);
  await a.tick(100);
  await a.hide();
  expect(a.events().map((e) => e.type)).toEqual(['page_view', 'scroll_milestone', 'click', 'scroll']);
  expect(a.doc.cookie).toBe('');
  expect(a.w.localStorage.length).toBe(0);
  expect(a.w.sessionStorage.length).toBe(0);
  const ids = new Set(a.events().map((e) => e.session_id + e.anonymous_id));
  expect(ids.size).toBe(1);
  const b = await makePage({ cookieJar: jar, attrs: 'data-persistence="none"' });
  const eb = await firstEvent(b);
  expect(eb.anonymous_id).not.toBe(a.events()[0].anonymous_id);
});

test('switching to cookieless by config removes what was stored', async () => {
  const jar = new CookieJar();
  await makePage({ cookieJar: jar });
  const b = await makePage({ cookieJar: jar });
  expect(cookie(b)).toBeTruthy();
  b.tap('config', { persistence: 'none' });
  expect(cookie(b)).toBeFalsy();
});

test('a project in cookieless mode (the server says so in its answer) removes what was stored', async () => {
  const jar = new CookieJar();
  await makePage({ cookieJar: jar });
  const b = await makePage({ cookieJar: jar, reply: () => ({ status: 200, body: { server_time: 0, config: { persistence: 'none' } } }) });
  expect(cookie(b)).toBeTruthy();
  b.tap('track', 'x');
  b.tap('flush');
  await b.tick(0);
  expect(b.sent.length).toBeGreaterThan(0);
  expect(cookie(b)).toBeFalsy();
  b.tap('track', 'later');
  b.tap('flush');
  await b.tick(0);
  expect(cookie(b)).toBeFalsy();
  // The next page load is the same: the first answer ends the storing again.
  const c = await makePage({ cookieJar: jar, reply: () => ({ status: 200, body: { config: { persistence: 'none' } } }) });
  c.tap('flush');
  await c.tick(0);
  expect(cookie(c)).toBeFalsy();
});

test('identify sets user_id on later events and sends traits; PII-looking ids are refused', async () => {
  const p = await makePage();
  p.tap('identify', 'user-42', { plan: 'pro', email: 'jane@doe.com' });
  p.tap('track', 'after');
  p.tap('identify', 'jane@doe.com');
  p.tap('track', 'still');
  p.tap('flush');
  await p.tick(0);
  const custom = p.events('custom');
  expect(custom[0]).toMatchObject({ name: '$identify', user_id: 'user-42', props: { plan: 'pro', email: '[email]' } });
  expect(custom[1]).toMatchObject({ name: 'after', user_id: 'user-42' });
  expect(custom[2]).toMatchObject({ name: 'still', user_id: 'user-42' });
  expect(p.events('page_view')[0].user_id).toBeUndefined();
});

test('reset clears the user and starts a new visitor and session', async () => {
  const p = await makePage();
  p.tap('identify', 'u1');
  p.tap('track', 'before');
  p.tap('reset');
  p.tap('track', 'after');
  p.tap('flush');
  await p.tick(0);
  const [, before, after] = p.events('custom');
  expect(before.user_id).toBe('u1');
  expect(after.user_id).toBeUndefined();
  expect(after.anonymous_id).not.toBe(before.anonymous_id);
  expect(after.session_id).not.toBe(before.session_id);
  expect(decodeURIComponent(cookie(p)!)).toContain(after.anonymous_id);
});
