import { expect, test } from 'vitest';
import { bookmarkletCode, START_PROP } from '../src/lib/bookmarklet-code';
import { elementsData, heatmapData, isOverlayMessage, overlayConfig } from '../src/lib/overlay-messages';

const CFG = { server: 'https://tap.example.net/', token: 'bt.secret', project_id: 'p1', from: '2024-01-01', to: '2024-01-07', kind: 'rage', scale: 'log' };

test('the bookmarklet is a javascript: URL of JSON-encoded values, setting no global', () => {
  const code = bookmarkletCode(CFG);
  expect(code.startsWith('javascript:(function(){var c={')).toBe(true);
  expect(code).toContain(JSON.stringify(CFG.token));
  expect(code).toContain('"https://tap.example.net/bookmarklet.js"');
  expect(code).not.toMatch(/window\.|__tapistryBookmarklet/);
  expect(code).toContain(`s[${JSON.stringify(START_PROP)}]`);
  // the token is not in the script's URL
  expect(code.slice(code.indexOf('s.src='), code.indexOf('s.onload'))).not.toContain('bt.');
});

test("values cannot break out of the bookmarklet's script", () => {
  const code = bookmarkletCode({ ...CFG, project_id: '"});alert(1);//</script><b>', token: "bt.'\\\u2028" });
  expect(code).not.toContain('</script>');
  const start = code.indexOf('var c=') + 6;
  const end = code.indexOf(',s=document');
  expect(JSON.parse(code.slice(start, end).replace(/\\u003c/g, '<')).project_id).toBe('"});alert(1);//</script><b>');
});

test('it runs: loads the script, then hands the config to the function the script left on its element', () => {
  const appended: Array<Record<string, unknown>> = [];
  const doc = {
    head: { appendChild: (s: Record<string, unknown>) => appended.push(s) },
    createElement: () => ({ remove() {} }) as Record<string, unknown>,
  };
  new Function('document', 'Date', decodeURIComponent(bookmarkletCode(CFG).slice('javascript:'.length)))(doc, { now: () => 42 });
  expect(appended.length).toBe(1);
  const s = appended[0]!;
  expect(s.src).toBe('https://tap.example.net/bookmarklet.js?t=42');
  let got: unknown;
  s[START_PROP] = (c: unknown) => (got = c);
  (s.onload as () => void)();
  expect(got).toEqual(CFG);
});

test('the frame takes only a well-formed config', () => {
  expect(overlayConfig({ token: 'bt.x', project_id: 'p1', from: '2024-01-01', vw: 7, extra: 'y' })).toEqual({ token: 'bt.x', project_id: 'p1', from: '2024-01-01' });
  expect(overlayConfig({ token: '', project_id: 'p1' })).toBeNull();
  expect(overlayConfig(null)).toBeNull();
  expect(isOverlayMessage({ tapistry: 'overlay', v: 1, type: 'ready' })).toBe(true);
  expect(isOverlayMessage({ tapistry: 'hello', v: 1 })).toBe(false);
});

test('the frame answers with the aggregates the overlay draws, nothing more', () => {
  expect(heatmapData({ grid: 64, tiles: [{ i: 1, j: 2, count: 3, secret: 'x' }], total: 3, pageviews: 9, url: 'https://x' })).toEqual({
    tiles: [{ i: 1, j: 2, count: 3 }],
    total: 3,
  });
  expect(
    elementsData({ elements: [{ selector_hash: '12', selector: '#cta', clicks: 4, rage: 1, dead: 0, ex: 0.5, ey: 0.5, text: 'private' }], total_clicks: 4, path: '/' }),
  ).toEqual({ elements: [{ selector_hash: '12', selector: '#cta', clicks: 4, rage: 1, dead: 0, ex: 0.5, ey: 0.5 }], total_clicks: 4 });
  expect(heatmapData('junk')).toEqual({ tiles: [], total: 0 });
});
