// @vitest-environment jsdom
import { expect, test } from 'vitest';
import { accessibleName, elementLabel, looksMasked } from '../src/lib/label';

function el(html: string, sel: string): Element {
  document.body.innerHTML = html;
  return document.querySelector(sel)!;
}

test('accessible name: aria-label, aria-labelledby, alt, button value, text, title', () => {
  expect(accessibleName(el('<button id="b" aria-label="Close dialog">×</button>', '#b'))).toBe('Close dialog');
  expect(accessibleName(el('<h2 id="h">Plans</h2><section id="s" aria-labelledby="h">…</section>', '#s'))).toBe('Plans');
  expect(accessibleName(el('<a id="a" href="/"><img alt="Acme home"></a>', '#a'))).toBe('Acme home');
  expect(accessibleName(el('<input id="i" type="submit" value="Send">', '#i'))).toBe('Send');
  expect(accessibleName(el('<a id="a" href="#">  Start your\n  free trial </a>', '#a'))).toBe('Start your free trial');
  expect(accessibleName(el('<div id="d" title="Map"></div>', '#d'))).toBe('Map');
});

test('labels: role and name; masked text is said to be masked, never shown as Xxxx', () => {
  expect(elementLabel(el('<a id="a" href="#">Pricing</a>', '#a'))).toBe('link “Pricing”');
  expect(elementLabel(el('<button id="b">Xxxxx xxxx xxxx xxxxx</button>', '#b'))).toBe('button (text masked)');
  expect(elementLabel(el('<div id="d" role="tab">Billing</div>', '#d'))).toBe('tab “Billing”');
  expect(elementLabel(el('<div id="d"></div>', '#d'))).toBe('');
  expect(elementLabel(el(`<button id="b">${'Very long words '.repeat(10)}</button>`, '#b')).length).toBeLessThanOrEqual(48 + 10);
  expect(looksMasked('Xxxx, xxx 00!')).toBe(true);
  // the snippet's mask: every fifth x of a run is an i
  expect(looksMasked('Xxxxxi xxxx xxxx xxxxi xxxxixx')).toBe(true);
  expect(elementLabel(el('<button id="b">Xxxxxi Xxx</button>', '#b'))).toBe('button (text masked)');
  expect(looksMasked('Xi')).toBe(false);
  expect(looksMasked('Extra')).toBe(false);
  expect(looksMasked('12 34')).toBe(false);
});
