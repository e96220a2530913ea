import { expect, test } from 'vitest';
import { type ReplayAssetContext, rewriteEventAssets } from '../src/lib/replay-assets';

const SELF = 'https://tap.example.net';
const proxied = (u: string) => `${SELF}/api/replay-asset?project_id=p_1&url=${encodeURIComponent(u)}`;

/** Every absolute http(s) URL left in the output that is not the replay asset route. */
function unproxied(v: unknown): string[] {
  const s = JSON.stringify(v);
  return (s.match(/https?:\/\/[^\s"'()<>,\\]*/gi) ?? []).filter((u) => !u.startsWith(SELF + '/api/replay-asset?'));
}

test('a full snapshot and later mutations load their assets from the replay asset route only', () => {
  const c: ReplayAssetContext = { projectId: 'p_1', self: SELF };
  const meta = rewriteEventAssets({ type: 4, timestamp: 1, data: { href: 'https://shop.example/p/1', width: 1, height: 1 } }, c);
  expect(meta.data.href).toBe('https://shop.example/p/1'); // the page's URL is shown, not loaded
  const full = rewriteEventAssets(
    {
      type: 2,
      timestamp: 2,
      data: {
        node: {
          type: 0, id: 1, childNodes: [{
            type: 2, id: 2, tagName: 'html', attributes: {}, childNodes: [
              { type: 2, id: 3, tagName: 'link', attributes: { rel: 'stylesheet', href: 'https://cdn.example/a.css' }, childNodes: [] },
              { type: 2, id: 4, tagName: 'link', attributes: { rel: 'stylesheet', _cssText: 'p{background:url(bg.png)}' }, childNodes: [] },
              { type: 2, id: 5, tagName: 'style', attributes: {}, childNodes: [{ type: 3, id: 6, isStyle: true, textContent: '@font-face{src:url(https://fonts.example/f.woff2)}' }] },
              { type: 2, id: 7, tagName: 'img', attributes: { src: '/logo.png', srcset: 'https://cdn.example/2x.png 2x' }, childNodes: [] },
              { type: 2, id: 8, tagName: 'div', attributes: { style: 'background:url("https://cdn.example/d.png")' }, childNodes: [] },
              { type: 2, id: 9, tagName: 'img', attributes: { src: `${SELF}/own.png` }, childNodes: [] },
            ],
          }],
        },
      },
    },
    c,
  );
  const html = full.data.node.childNodes[0].childNodes;
  expect(html[0].attributes.href).toBe(proxied('https://cdn.example/a.css'));
  expect(html[1].attributes._cssText).toBe(`p{background:url("${proxied('https://shop.example/p/bg.png')}")}`);
  expect(html[2].childNodes[0].textContent).toBe(`@font-face{src:url("${proxied('https://fonts.example/f.woff2')}")}`);
  expect(html[3].attributes.src).toBe(proxied('https://shop.example/logo.png'));
  expect(html[3].attributes.srcset).toBe(`${proxied('https://cdn.example/2x.png')} 2x`);
  expect(html[5].attributes.src).toBe(proxied(`${SELF}/own.png`)); // our own origin too: the CSP allows only the route
  expect(unproxied(full.data.node)).toEqual([]);

  const mutation = rewriteEventAssets(
    {
      type: 3,
      timestamp: 3,
      data: {
        source: 0, texts: [], removes: [],
        adds: [{ parentId: 2, nextId: null, node: { type: 2, id: 10, tagName: 'img', attributes: { src: 'https://cdn.example/later.png' }, childNodes: [] } }],
        attributes: [
          { id: 8, attributes: { style: { background: 'url(https://cdn.example/changed.png)', color: ['red', 'important'] } } },
          { id: 7, attributes: { src: 'https://cdn.example/swapped.png' } },
        ],
      },
    },
    c,
  );
  expect(mutation.data.adds[0].node.attributes.src).toBe(proxied('https://cdn.example/later.png'));
  expect(mutation.data.attributes[0].attributes.style.background).toBe(`url("${proxied('https://cdn.example/changed.png')}")`);
  expect(mutation.data.attributes[0].attributes.style.color).toEqual(['red', 'important']);
  expect(mutation.data.attributes[1].attributes.src).toBe(proxied('https://cdn.example/swapped.png'));
  expect(unproxied(mutation.data)).toEqual([]);
});

test('links stay links; script URLs are not made loadable', () => {
  const c: ReplayAssetContext = { projectId: 'p_1', self: SELF, base: 'https://shop.example/' };
  const e = rewriteEventAssets(
    { type: 2, timestamp: 1, data: { node: { type: 2, id: 1, tagName: 'a', attributes: { href: 'https://elsewhere.example/x' }, childNodes: [
      { type: 2, id: 2, tagName: 'img', attributes: { src: 'javascript:alert(1)' }, childNodes: [] },
    ] } } },
    c,
  );
  expect(e.data.node.attributes.href).toBe('https://elsewhere.example/x');
  expect(e.data.node.childNodes[0].attributes.src).toBe('');
});
