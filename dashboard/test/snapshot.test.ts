// @vitest-environment jsdom
import { expect, test } from 'vitest';
import { SNAPSHOT_CSP, sanitizeSnapshot } from '../src/lib/snapshot';

test('snapshots are made inert before they reach the frame', () => {
  const out = sanitizeSnapshot(
    '<!doctype html><html><head><meta http-equiv="refresh" content="0;url=https://evil"><base href="https://evil/"><script>alert(1)</script>' +
      '<link rel="stylesheet" href="https://site.example/a.css"></head><body onload="x()"><noscript>Enable JS</noscript>' +
      '<a href="javascript:alert(1)" onclick="y()">a</a><iframe src="https://x"></iframe><img src="https://site.example/i.png" onerror="z()"><p>text</p></body></html>',
  );
  const doc = new DOMParser().parseFromString(out, 'text/html');
  expect(doc.querySelector('script, noscript, iframe, base, meta[http-equiv="refresh"]')).toBeNull();
  expect(doc.querySelector('[onload], [onclick], [onerror]')).toBeNull();
  expect(doc.querySelector('a')!.hasAttribute('href')).toBe(false);
  expect(doc.querySelector('link[rel=stylesheet]')!.getAttribute('href')).toBe('https://site.example/a.css');
  expect(doc.querySelector('img')!.getAttribute('src')).toBe('https://site.example/i.png');
  expect(doc.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content')).toBe(SNAPSHOT_CSP);
  expect(doc.querySelector('p')!.textContent).toBe('text');
});
