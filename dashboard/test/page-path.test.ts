import { expect, test } from 'vitest';
import { storedPath } from '../src/lib/page-path';

test('a URL becomes the path the server stores for it (spec §9)', () => {
  expect(storedPath('https://Shop.example.com/Pricing/')).toBe('/pricing');
  expect(storedPath('https://shop.example.com/')).toBe('/');
  expect(storedPath('https://shop.example.com')).toBe('/');
  expect(storedPath('https://shop.example.com//a///b/index.html?utm_source=x#top')).toBe('/a/b');
  expect(storedPath('https://shop.example.com/docs/index')).toBe('/docs');
  expect(storedPath('https://shop.example.com/%7Euser/caf%C3%A9')).toBe('/~user/caf%C3%A9');
  expect(storedPath('https://shop.example.com/%41b%2Fc')).toBe('/ab%2Fc');
  // hash routes are part of the path; anchors are not
  expect(storedPath('https://app.example.com/app#/Settings/')).toBe('/app#/settings');
  expect(storedPath('https://app.example.com/app#!/a?x=1')).toBe('/app#/a');
  expect(storedPath('https://app.example.com/app#/')).toBe('/app');
  expect(storedPath('not a url')).toBe('');
  expect(storedPath('javascript:alert(1)')).toBe('');
});
