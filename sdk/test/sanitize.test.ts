import { beforeAll, expect, test } from 'vitest';
import { internals } from './load';

let S: any;
const ALLOW = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];
beforeAll(async () => {
  S = (await internals()).I.sanitize;
});

test('sanitizeUrl keeps only allowlisted query parameters and drops the fragment', () => {
  expect(S.sanitizeUrl('https://a.com/p?utm_source=tw&token=abc&utm_medium=social#top', ALLOW)).toBe(
    'https://a.com/p?utm_source=tw&utm_medium=social',
  );
  expect(S.sanitizeUrl('https://a.com/p?session=1', ALLOW)).toBe('https://a.com/p');
  expect(S.sanitizeUrl('https://a.com/p?variant=b&lang=de', [...ALLOW, 'variant'])).toBe('https://a.com/p?variant=b');
});

test('sanitizeUrl drops credentials, refuses non-http schemes, redacts PII in path and kept values', () => {
  expect(S.sanitizeUrl('https://user:pw@a.com/x', ALLOW)).toBe('https://a.com/x');
  expect(S.sanitizeUrl('javascript:alert(1)', ALLOW)).toBe('');
  expect(S.sanitizeUrl('data:text/html,hi', ALLOW)).toBe('');
  expect(S.sanitizeUrl('https://a.com/users/jane%40doe.com/orders', ALLOW)).toBe('https://a.com/users/[email]/orders');
  expect(S.sanitizeUrl('https://a.com/?utm_term=jane@doe.com', ALLOW)).toBe('https://a.com/?utm_term=%5Bemail%5D');
  expect(S.sanitizeUrl('https://a.com/pay/4111111111111111', ALLOW)).toBe('https://a.com/pay/[card]');
});

test('sanitizeUrl keeps hash routes but not anchors, resolves relative URLs, caps at 2048', () => {
  expect(S.sanitizeUrl('https://a.com/app#/settings/profile', ALLOW)).toBe('https://a.com/app#/settings/profile');
  expect(S.sanitizeUrl('https://a.com/app#!/x', ALLOW)).toBe('https://a.com/app#!/x');
  expect(S.sanitizeUrl('https://a.com/doc#section-2', ALLOW)).toBe('https://a.com/doc');
  expect(S.sanitizeUrl('/rel/path?x=1', ALLOW)).toBe('https://shop.example.com/rel/path');
  expect(S.sanitizeUrl('https://a.com/' + 'x'.repeat(5000), ALLOW).length).toBe(2048);
});

test('normalizePath follows spec §9 and Appendix D', () => {
  const cases: Array<[string, string]> = [
    ['https://a.com/', '/'],
    ['https://a.com', '/'],
    ['https://a.com/Pricing/', '/pricing'],
    ['https://a.com//docs///intro//', '/docs/intro'],
    ['https://a.com/index.html', '/'],
    ['https://a.com/docs/index.htm', '/docs'],
    ['https://a.com/docs/index', '/docs'],
    ['https://a.com/docs/indexer', '/docs/indexer'],
    ['https://a.com/p?utm_source=x#frag', '/p'],
    ['https://a.com/u/Jane@Doe.com', '/u/[email]'],
  ];
  for (const [u, p] of cases) expect(S.normalizePath(u), u).toBe(p);
});

test('utmOf extracts the five UTM keys without prefix, redacted', () => {
  expect(S.utmOf('https://a.com/?utm_source=tw&utm_medium=social&utm_campaign=launch&x=1')).toEqual({
    source: 'tw',
    medium: 'social',
    campaign: 'launch',
  });
  expect(S.utmOf('https://a.com/?utm_content=a@b.com')).toEqual({ content: '[email]' });
  expect(S.utmOf('https://a.com/')).toBeUndefined();
});

test('cleanProps: flat primitives, redacted, within 50 keys and 4 KB', () => {
  expect(S.cleanProps({ plan: 'pro', n: 3, ok: true, none: null, nested: { a: 1 }, f: () => 1, inf: Infinity, mail: 'x@y.com' })).toEqual({
    plan: 'pro',
    n: 3,
    ok: true,
    none: null,
    mail: '[email]',
  });
  const many: Record<string, number> = {};
  for (let i = 0; i < 80; i++) many['k' + i] = i;
  expect(Object.keys(S.cleanProps(many)).length).toBe(50);
  const big: Record<string, string> = {};
  for (let i = 0; i < 40; i++) big['k' + i] = 'v'.repeat(300);
  const out = S.cleanProps(big);
  expect(JSON.stringify(out).length).toBeLessThanOrEqual(4096);
  expect(Object.values(out).every((v) => (v as string).length === 256)).toBe(true);
  expect(S.cleanProps('nope')).toBeUndefined();
  expect(S.cleanProps({})).toBeUndefined();
});
