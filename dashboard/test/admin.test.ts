import { expect, test } from 'vitest';
import {
  actionLabel,
  auditDetails,
  fieldMessage,
  fieldOfError,
  originAllowed,
  percentToRate,
  problemAdvice,
  type ProjectSettings,
  rateToPercent,
  settingsDiff,
} from '../src/lib/admin';

const BASE: ProjectSettings = {
  allowed_origins: ['https://a.example'],
  retention_days: 395,
  replay_retention_days: 30,
  replay_session_kb: 2048,
  rate_project_rps: 0,
  rate_ip_rps: 0,
  rate_session_eps: 0,
  store_raw_ua: false,
  respect_dnt: true,
  respect_gpc: true,
  cookieless: false,
  require_consent: false,
  event_sample_rate: 1,
  replay_sample_rate: 1,
  replay_allow_selectors: [],
  replay_mask_selectors: [],
  replay_ignore_selectors: [],
  query_allowlist: ['utm_source'],
  path_rules: [],
};

test('the diff holds only the changed keys, lists compared by value', () => {
  expect(settingsDiff(BASE, { ...BASE, allowed_origins: ['https://a.example'] })).toEqual({});
  expect(settingsDiff(BASE, { ...BASE, retention_days: 90, respect_dnt: false })).toEqual({ retention_days: 90, respect_dnt: false });
  expect(settingsDiff(BASE, { ...BASE, allowed_origins: ['https://a.example', 'https://b.example'] })).toEqual({
    allowed_origins: ['https://a.example', 'https://b.example'],
  });
  // order matters to the server (it stores the list as given)
  const two = { ...BASE, query_allowlist: ['a', 'b'] };
  expect(settingsDiff(two, { ...two, query_allowlist: ['b', 'a'] })).toEqual({ query_allowlist: ['b', 'a'] });
  // a number being typed (NaN) is a change, sent as is: the server's 400 names the range
  expect(Object.keys(settingsDiff(BASE, { ...BASE, retention_days: NaN }))).toEqual(['retention_days']);
});

test('the sample rate is shown as a percentage and sent as 0..1', () => {
  expect(rateToPercent(0.3)).toBe(30);
  expect(rateToPercent(0.125)).toBe(12.5);
  expect(percentToRate(30)).toBe(0.3);
  expect(percentToRate(12.5)).toBe(0.125);
  expect(percentToRate(rateToPercent(0.07))).toBe(0.07);
});

test('a 400 reason names the field it is about', () => {
  expect(fieldOfError('retention_days must be a whole number 1..3650 (days of events kept)')).toBe('retention_days');
  expect(fieldOfError('allowed_origins: "ftp://x" is not an origin; write scheme://host[:port]')).toBe('allowed_origins');
  expect(fieldOfError('replay_sample_rate must be a number 0..1 (0.3 records 30% of sessions)')).toBe('replay_sample_rate');
  expect(fieldOfError('unknown setting "colour"')).toBe('');
  expect(fieldOfError('body must be a JSON object')).toBe('');
  expect(fieldMessage('replay_session_kb must be a whole number 64..65536 (compressed KB one recorded session may store)', 'replay_session_kb')).toBe(
    'Recording size cap (KB) must be a whole number 64..65536 (compressed KB one recorded session may store).',
  );
  expect(fieldMessage('allowed_origins: "ftp://x" is not an origin', 'allowed_origins')).toBe('Allowed origins: "ftp://x" is not an origin.');
});

test('origins: exact, subdomain wildcard, any', () => {
  expect(originAllowed([], 'https://x.example')).toBe(true);
  expect(originAllowed(['https://x.example'], 'https://X.example/')).toBe(true);
  expect(originAllowed(['https://x.example'], 'http://x.example')).toBe(false);
  expect(originAllowed(['https://*.example.com'], 'https://shop.example.com')).toBe(true);
  expect(originAllowed(['https://*.example.com'], 'https://example.com')).toBe(false);
  expect(originAllowed(['https://*.example.com'], 'https://evilexample.com')).toBe(false);
});

test('every install problem gets plain words and a fix; only a named origin can be allowed', () => {
  const p = (reason: string, origin = 'https://shop.example', count = 3) => problemAdvice({ reason, origin, count, last_ms: 0 });
  expect(p('origin_not_allowed')).toMatchObject({ action: 'allow_origin' });
  expect(p('origin_not_allowed').title).toBe('3 requests from https://shop.example were refused: that site is not an allowed origin');
  expect(p('origin_not_allowed', '').action).toBeUndefined();
  expect(p('unknown_key').fix).toMatch(/old or wrong key/);
  expect(p('do_not_track', 'https://shop.example', 1).title).toBe('1 request from https://shop.example was dropped: the browser sent Do Not Track');
  expect(p('do_not_track').fix).toMatch(/asked not to be tracked and this project honours it/);
  expect(p('global_privacy_control').fix).toMatch(/GPC/);
  expect(p('rate_limited').fix).toMatch(/rate limits/);
  expect(p('no_valid_events').title).toMatch(/could not be read/);
  expect(p('something_new').title).toMatch(/\(something_new\)/);
  for (const r of ['unknown_key', 'do_not_track', 'global_privacy_control', 'rate_limited', 'no_valid_events', 'missing_key']) expect(p(r).action).toBeUndefined();
});

test('audit entries in words', () => {
  expect(actionLabel('settings.update')).toBe('Changed settings');
  expect(actionLabel('custom.thing')).toBe('custom.thing');
  expect(
    auditDetails({
      action: 'settings.update',
      details: { retention_days: { from: 395, to: 90 }, allowed_origins: { from: [], to: ['https://a.example'] }, respect_dnt: { from: true, to: false }, replay_sample_rate: { from: 1, to: 0.25 }, event_sample_rate: { from: 1, to: 0.5 }, path_rules: { from: [], to: ['/p/:id'] } },
    }),
  ).toBe('Events retention (days): 395 → 90; Allowed origins: (none) → https://a.example; Honour Do Not Track: on → off; Replay sample rate: 100 % → 25 %; Event sample rate: 100 % → 50 %; Path rules: (none) → /p/:id');
  expect(auditDetails({ action: 'member.add', details: { user_id: 'u_1', email: 'b@x.test', role: 'member' } })).toBe('b@x.test as member');
  expect(auditDetails({ action: 'member.role', details: { email: 'b@x.test', role: 'owner', previous_role: 'member' } })).toBe('b@x.test: member → owner');
  expect(auditDetails({ action: 'member.remove', details: { user_id: 'u_1', email: 'b@x.test' } })).toBe('b@x.test');
  expect(auditDetails({ action: 'project.rename', details: { from: 'Old', to: 'New' } })).toBe('“Old” → “New”');
  expect(auditDetails({ action: 'project.create', details: { name: 'Shop' } })).toBe('“Shop”');
  expect(auditDetails({ action: 'project.delete', details: { events: 12, recordings: 0 } })).toBe('12 events and 0 recordings removed');
  expect(auditDetails({ action: 'key.rotate', details: { previous_public_key: 'pk_a', public_key: 'pk_b' } })).toBe('pk_a → pk_b');
  expect(auditDetails({ action: 'funnel.create', details: { name: 'Checkout' } })).toBe('“Checkout”');
  expect(auditDetails({ action: 'dsar.delete', details: { visitor: 'v1', events: 3 } })).toBe('visitor: v1; events: 3');
  expect(auditDetails({ action: 'dsar.delete', details: {} })).toBe('');
});
