import { expect, test } from 'vitest';
import { browserName, requestError } from '../src/lib/accounts';

test('a refused sign-in request says what to do, in minutes for a rate limit', () => {
  expect(requestError(429, 'too many sign-in links for this email', 3599)).toBe('Too many sign-in links were asked for. Try again in 60 minutes.');
  expect(requestError(429, '', 30)).toBe('Too many sign-in links were asked for. Try again in 1 minute.');
  expect(requestError(400, 'not an email address', 0)).toMatch(/does not look like an email address/);
  expect(requestError(403, '', 0)).toMatch(/cannot ask for a link from here/);
  expect(requestError(0, '', 0)).toMatch(/could not be reached/);
  expect(requestError(503, 'meta store busy', 0)).toBe('The server could not send a link (503: meta store busy). Try again in a moment.');
});

test('a session is named by its browser and OS', () => {
  expect(browserName('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36')).toBe('Chrome on Linux');
  expect(browserName('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBe('Firefox on Windows');
  expect(browserName('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0')).toBe('Edge on Windows');
  expect(browserName('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1')).toBe('Safari on iOS');
  expect(browserName('curl/8.0')).toBe('curl/8.0');
  expect(browserName('')).toBe('Unknown browser');
});
