import { expect, test } from 'vitest';
import { addOriginCommand, exactOrigin, liveTarget, projectOrigins, SANDBOX_SELF, SANDBOX_SITE, usableOrigins } from '../src/lib/live-url';

const SELF = 'https://tapistry.example.net';

test('only exact http(s) origins are usable', () => {
  expect(exactOrigin('https://www.example.com')).toBe('https://www.example.com');
  expect(exactOrigin('https://www.example.com/')).toBe('https://www.example.com');
  expect(exactOrigin('https://WWW.Example.com:443')).toBe('https://www.example.com');
  expect(exactOrigin('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
  for (const bad of ['*', 'https://*.example.com', '*.example.com', 'www.example.com', 'ftp://example.com', 'javascript:alert(1)', 'data:text/html,x',
    'https://example.com/path', 'https://example.com?x=1', 'https://example.com#x', 'https://user:pw@example.com', 'null', '']) {
    expect(exactOrigin(bad), bad).toBe('');
  }
  expect(usableOrigins(['https://*.example.com', 'https://a.example.com', 'https://A.example.com/', 'https://b.example.com'])).toEqual([
    'https://a.example.com',
    'https://b.example.com',
  ]);
});

test('a path named by a path rule loads the snapshot page it stands for, else the home page', () => {
  const allowed = ['https://shop.example.com'];
  expect(liveTarget(allowed, '/product/:id', 'https://shop.example.com/product/42', SELF)!.url).toBe('https://shop.example.com/product/42');
  expect(liveTarget(allowed, '/blog/*', 'https://shop.example.com/blog/2026/hi', SELF)!.url).toBe('https://shop.example.com/blog/2026/hi');
  expect(liveTarget(allowed, '/product/:id', undefined, SELF)!.url).toBe('https://shop.example.com/');
  // never another host's page
  expect(liveTarget(allowed, '/product/:id', 'https://evil.example/product/1', SELF)!.url).toBe('https://shop.example.com/');
  // a colon inside a segment is an ordinary path
  expect(liveTarget(allowed, '/a:b', undefined, SELF)!.url).toBe('https://shop.example.com/a:b');
});

test("the snapshot's origin is used only when it is allowed", () => {
  const allowed = ['https://www.example.com', 'https://shop.example.com'];
  expect(liveTarget(allowed, '/cart', 'https://shop.example.com/cart?x=1', SELF)!.url).toBe('https://shop.example.com/cart');
  expect(liveTarget(allowed, '/cart', 'https://SHOP.example.com:443/cart', SELF)!.url).toBe('https://shop.example.com/cart');
  // issue 14: a snapshot stored with a url on another host never becomes the frame's address
  for (const forged of ['https://evil.example/pricing', 'http://shop.example.com/cart', 'https://shop.example.com.evil.example/', 'javascript:alert(1)', 'not a url', '']) {
    const t = liveTarget(allowed, '/pricing', forged, SELF)!;
    expect(t.origin, forged).toBe('https://www.example.com');
    expect(t.url, forged).toBe('https://www.example.com/pricing');
  }
  expect(liveTarget(allowed, '/pricing', undefined, SELF)!.url).toBe('https://www.example.com/pricing');
});

test('wildcards and junk are skipped, the first exact origin is used', () => {
  expect(liveTarget(['https://*.example.com', 'https://www.example.com'], '/', 'https://a.example.com/', SELF)!.url).toBe('https://www.example.com/');
});

test('no usable allowed origin: no address at all, whatever the snapshot says', () => {
  expect(liveTarget([], '/pricing', 'https://www.example.com/pricing', SELF)).toBeNull();
  expect(liveTarget(['*'], '/pricing', 'https://www.example.com/pricing', SELF)).toBeNull();
  expect(liveTarget(['https://*.example.com'], '/pricing', 'https://a.example.com/pricing', SELF)).toBeNull();
});

test('the path cannot move the frame to another host', () => {
  const allowed = ['https://www.example.com'];
  const at = (p: string) => liveTarget(allowed, p, undefined, SELF)!.url;
  expect(at('/docs/a b?q=1#top')).toBe('https://www.example.com/docs/a%20b?q=1#top');
  expect(at('//evil.example/x')).toBe('https://www.example.com//evil.example/x');
  expect(at('/\\evil.example/x')).toBe('https://www.example.com//evil.example/x');
  expect(at('@evil.example/x')).toBe('https://www.example.com/');
  expect(at('evil.example')).toBe('https://www.example.com/');
  expect(at('')).toBe('https://www.example.com/');
  for (const p of ['//evil.example', '/\\evil.example', '/%2F%2Fevil.example', '/..//evil.example', '/\t/evil.example'])
    expect(new URL(at(p)).origin, p).toBe('https://www.example.com');
});

test("sandbox: the customer's site keeps its origin, the dashboard's own origin does not", () => {
  expect(liveTarget(['https://www.example.com'], '/', undefined, SELF)!.sandbox).toBe(SANDBOX_SITE);
  expect(SANDBOX_SITE).toBe('allow-scripts allow-same-origin allow-forms');
  const own = liveTarget([SELF], '/demo', undefined, SELF)!;
  expect(own.url).toBe(SELF + '/demo');
  expect(own.sandbox).toBe(SANDBOX_SELF);
  expect(SANDBOX_SELF).not.toContain('allow-same-origin');
});

test("the Demo project's pages are the /demo site on the dashboard's own origin", () => {
  expect(projectOrigins({ allowed_origins: [], demo: true }, SELF)).toEqual([SELF]);
  expect(projectOrigins({ allowed_origins: ['https://www.example.com'], demo: true }, SELF)).toEqual(['https://www.example.com']);
  expect(projectOrigins({ allowed_origins: [] }, SELF)).toEqual([]);
  expect(liveTarget(projectOrigins({ allowed_origins: [], demo: true }, SELF), '/demo', 'https://evil.example/demo', SELF)!.url).toBe(SELF + '/demo');
});

test('the command that adds a site keeps the origins the project has (--origin replaces the list)', () => {
  expect(addOriginCommand('p1', [])).toBe('tapistry project settings --data DIR --project p1 --origin https://www.your-site.example');
  expect(addOriginCommand('p1', ['https://*.example.com', '*'])).toBe(
    'tapistry project settings --data DIR --project p1 --origin https://*.example.com --origin https://www.your-site.example',
  );
});
