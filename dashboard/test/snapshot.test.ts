// @vitest-environment jsdom
import { describe, expect, test } from 'vitest';
import { assetUrl, rewriteSrcset, SNAPSHOT_CSP, sanitizeSnapshot, type SnapshotContext } from '../src/lib/snapshot';

const SELF = 'https://tap.example.net';
const CTX: SnapshotContext = { projectId: 'p 1', self: SELF, base: 'https://site.example/pricing' };
const EVIL = 'https://evil.example';
const proxied = (u: string) => `${SELF}/api/snapshot-asset?project_id=p%201&url=${encodeURIComponent(u)}`;

function clean(html: string): Document {
  return new DOMParser().parseFromString(sanitizeSnapshot(html, CTX), 'text/html');
}

/** Every absolute http(s) URL left in the output that is not on the dashboard's origin. */
function foreign(out: string): string[] {
  return (out.match(/https?:(?:\/|\\2f|%2f)[^\s"'()<>,]*/gi) ?? []).filter((u) => !u.startsWith(SELF) && !u.startsWith('http://www.w3.org/'));
}

test('snapshots are made inert before they reach the frame', () => {
  const doc = clean(
    '<!doctype html><html><head><meta http-equiv="refresh" content="0;url=https://evil"><base href="https://evil/"><script>alert(1)</script>' +
      '<link rel="stylesheet" href="https://site.example/a.css"></head><body onload="x()"><noscript>Enable JS</noscript>' +
      '<a href="javascript:alert(1)" onclick="y()">a</a><iframe src="https://x"></iframe><img src="https://site.example/i.png" onerror="z()"><p>text</p></body></html>',
  );
  expect(doc.querySelector('script, noscript, iframe, base, meta[http-equiv="refresh"]')).toBeNull();
  expect(doc.querySelector('[onload], [onclick], [onerror]')).toBeNull();
  expect(doc.querySelector('a')!.hasAttribute('href')).toBe(false);
  expect(doc.querySelector('link[rel=stylesheet]')!.getAttribute('href')).toBe(proxied('https://site.example/a.css'));
  expect(doc.querySelector('img')!.getAttribute('src')).toBe(proxied('https://site.example/i.png'));
  expect(doc.querySelector('p')!.textContent).toBe('text');
});

test('a CSP that forbids every other origin comes first in <head>, then no-referrer', () => {
  const doc = clean('<html><head><meta name="referrer" content="unsafe-url"><link rel="stylesheet" href="https://site.example/a.css"></head><body></body></html>');
  const first = doc.head.firstElementChild!;
  expect(first.getAttribute('http-equiv')).toBe('Content-Security-Policy');
  expect(first.getAttribute('content')).toBe(SNAPSHOT_CSP);
  for (const d of ["default-src 'none'", "img-src 'self' data: blob:", "style-src 'self' 'unsafe-inline'", "font-src 'self' data:", "media-src 'none'", "script-src 'none'", "object-src 'none'", "frame-src 'none'", "form-action 'none'"])
    expect(SNAPSHOT_CSP).toContain(d);
  const refs = doc.querySelectorAll('meta[name=referrer]');
  expect(refs.length).toBe(1); // the snapshot's own unsafe-url is gone
  expect(refs[0]!.getAttribute('content')).toBe('no-referrer');
  expect(first.nextElementSibling).toBe(refs[0]);
});

describe('asset URLs go through the asset cache', () => {
  test('assetUrl: proxied, kept, or dropped', () => {
    expect(assetUrl('https://site.example/a.png', 'asset', CTX)).toBe(proxied('https://site.example/a.png'));
    expect(assetUrl('  /img/b.png ', 'asset', CTX)).toBe(proxied('https://site.example/img/b.png')); // relative: against the page
    expect(assetUrl('//cdn.example/c.png', 'asset', CTX)).toBe(proxied('https://cdn.example/c.png'));
    expect(assetUrl('https://site.example/s.svg#icon', 'asset', CTX)).toBe(proxied('https://site.example/s.svg') + '#icon');
    expect(assetUrl(SELF + '/demo/x.png', 'asset', CTX)).toBe(SELF + '/demo/x.png');
    expect(assetUrl('data:image/png;base64,AAAA', 'asset', CTX)).toBe('data:image/png;base64,AAAA');
    expect(assetUrl('data:text/css,body{}', 'style', CTX)).toBeNull();
    expect(assetUrl('#grad', 'asset', CTX)).toBe('#grad');
    for (const bad of ['javascript:alert(1)', 'blob:https://site.example/0-1', 'ftp://site.example/x.png', 'file:///etc/passwd', 'http://[bad'])
      expect(assetUrl(bad, 'asset', CTX), bad).toBeNull();
  });

  test('<link>: stylesheets and icons proxied, every other link removed', () => {
    const doc = clean(
      `<html><head><link rel="stylesheet" href="${EVIL}/a.css" integrity="sha384-x"><link rel="alternate stylesheet" href="${EVIL}/alt.css">` +
        `<link rel="icon" href="${EVIL}/favicon.ico"><link rel="apple-touch-icon" href="${EVIL}/t.png">` +
        `<link rel="preconnect" href="${EVIL}"><link rel="dns-prefetch" href="${EVIL}"><link rel="prerender" href="${EVIL}/p.html">` +
        `<link rel="preload" as="image" href="${EVIL}/p.png" imagesrcset="${EVIL}/p2.png 2x"><link rel="prefetch" href="${EVIL}/f">` +
        `<link rel="modulepreload" href="${EVIL}/m.js"><link rel="manifest" href="${EVIL}/m.json"><link rel="canonical" href="${EVIL}/c">` +
        `<link rel="stylesheet" href="data:text/css,@import url(${EVIL}/d.css)"></head><body></body></html>`,
    );
    const links = Array.from(doc.querySelectorAll('link'), (l) => [l.getAttribute('rel'), l.getAttribute('href')]);
    expect(links).toEqual([
      ['stylesheet', proxied(`${EVIL}/a.css`)],
      ['alternate stylesheet', proxied(`${EVIL}/alt.css`)],
      ['icon', proxied(`${EVIL}/favicon.ico`)],
      ['apple-touch-icon', proxied(`${EVIL}/t.png`)],
      ['stylesheet', null], // a data: stylesheet would only be refused by the CSP
    ]);
    expect(doc.querySelector('[integrity]')).toBeNull(); // the cache rewrites CSS: a hash would no longer match
  });

  test('src, srcset (lists with commas inside URLs), poster, background, input type=image', () => {
    const doc = clean(
      `<body background="${EVIL}/body.png"><img id="i" src="${EVIL}/i.png" srcset="${EVIL}/i1.png 1x,${EVIL}/i2.png?a=1,2 2x, data:image/png;base64,AA== 3x,,${EVIL}/w.png 480w">` +
        `<picture><source srcset="${EVIL}/s.webp 1x, ${EVIL}/s2.webp 2x" type="image/webp"><img src="${EVIL}/pic.png"></picture>` +
        `<table background="${EVIL}/table.png"><tr><td background="${EVIL}/td.png">x</td></tr></table>` +
        `<video poster="${EVIL}/poster.png" src="${EVIL}/v.mp4"><source src="${EVIL}/v.webm"><track src="${EVIL}/t.vtt"></video><audio src="${EVIL}/a.mp3"></audio>` +
        `<input type="image" src="${EVIL}/input.png"><img src="blob:${EVIL}/1" lowsrc="${EVIL}/low.png"></body>`,
    );
    expect(doc.body.getAttribute('background')).toBe(proxied(`${EVIL}/body.png`));
    expect(doc.getElementById('i')!.getAttribute('srcset')).toBe(
      [`${proxied(`${EVIL}/i1.png`)} 1x`, `${proxied(`${EVIL}/i2.png?a=1,2`)} 2x`, 'data:image/png;base64,AA== 3x', `${proxied(`${EVIL}/w.png`)} 480w`].join(', '),
    );
    expect(doc.querySelector('source')!.getAttribute('srcset')).toBe(`${proxied(`${EVIL}/s.webp`)} 1x, ${proxied(`${EVIL}/s2.webp`)} 2x`);
    expect(doc.querySelector('video')!.getAttribute('poster')).toBe(proxied(`${EVIL}/poster.png`));
    expect(doc.querySelector('video')!.hasAttribute('src')).toBe(false); // media-src 'none': nothing to play
    expect(doc.querySelector('input')!.getAttribute('src')).toBe(proxied(`${EVIL}/input.png`));
    expect(doc.querySelectorAll('img')[2]!.hasAttribute('src')).toBe(false);
    expect(foreign(doc.documentElement.outerHTML)).toEqual([]);
  });

  test('srcset parsing follows the HTML standard', () => {
    const seen: string[] = [];
    rewriteSrcset(' a.png 1x , b,c.png 2x,d.png,e.png (max-width: 1px) 10w,  ,f.png,, g.png', (u) => (seen.push(u), u));
    // a URL runs to whitespace: "d.png,e.png" is one URL, as a browser reads it
    expect(seen).toEqual(['a.png', 'b,c.png', 'd.png,e.png', 'f.png', 'g.png']);
    expect(rewriteSrcset('a.png 1x, b.png 2x', (u) => (u === 'a.png' ? null : u))).toBe('b.png 2x');
  });

  test('SVG: <image>, <use>, <feImage>, href and xlink:href, presentation attributes; fragment references stay', () => {
    const doc = clean(
      `<svg xmlns:xlink="http://www.w3.org/1999/xlink"><defs><linearGradient id="g"></linearGradient><filter id="f"><feImage href="${EVIL}/fe.png"/></filter></defs>` +
        `<image href="${EVIL}/svg-image.png"/><image xlink:href="${EVIL}/svg-xlink.png"/><use href="${EVIL}/sprite.svg#i"/><use xlink:href="#local"/>` +
        `<rect fill="url(#g)" filter="url(${EVIL}/f.svg#f)" style="mask:url(${EVIL}/m.svg#m)"/><a href="https://site.example/next"><text>t</text></a>` +
        `<set attributeName="href" to="${EVIL}/set.png"/><animate attributeName="xlink:href" values="${EVIL}/anim.png"/><script href="${EVIL}/s.js"/></svg>`,
    );
    const svg = doc.querySelector('svg')!;
    const images = svg.querySelectorAll('image');
    expect(images[0]!.getAttribute('href')).toBe(proxied(`${EVIL}/svg-image.png`));
    expect(images[1]!.getAttribute('xlink:href')).toBe(proxied(`${EVIL}/svg-xlink.png`));
    expect(svg.querySelector('feImage, feimage')!.getAttribute('href')).toBe(proxied(`${EVIL}/fe.png`));
    const uses = svg.querySelectorAll('use');
    expect(uses[0]!.getAttribute('href')).toBe(proxied(`${EVIL}/sprite.svg`) + '#i');
    expect(uses[1]!.getAttribute('xlink:href')).toBe('#local');
    const rect = svg.querySelector('rect')!;
    expect(rect.getAttribute('fill')).toBe('url(#g)');
    expect(rect.getAttribute('filter')).toBe(`url("${proxied(`${EVIL}/f.svg`)}#f")`);
    expect(rect.getAttribute('style')).toBe(`mask:url("${proxied(`${EVIL}/m.svg`)}#m")`);
    expect(svg.querySelector('a')!.getAttribute('href')).toBe('https://site.example/next'); // a link: loads nothing until clicked
    expect(svg.querySelector('set, animate, script')).toBeNull();
    expect(foreign(svg.outerHTML)).toEqual(['https://site.example/next']);
  });

  test('<style>: url(), @import url(…), @import "…", quotes and escapes, image-set(), @font-face', () => {
    const doc = clean(
      `<html><head><style>@import url(${EVIL}/imp1.css);@import "${EVIL}/imp2.css" screen;@import '${EVIL}/imp3.css';` +
        `@import url("data:text/css,a{}");` +
        `@font-face{font-family:X;src:url("${EVIL}/f.woff2") format("woff2"),url(${EVIL}/f\\2e woff) format("woff")}` +
        `body{background:url('${EVIL}/bg.png')}.a{background:u\\72l(${EVIL}/esc.png)}.b{background:url(https\\3a //evil.example/esc2.png)}` +
        `.c{background-image:image-set("${EVIL}/s1.png" 1x, url(${EVIL}/s2.png) 2x)}.d{background:-webkit-image-set('${EVIL}/s3.png' 1x)}` +
        `.e{cursor:url(${EVIL}/cur.png),auto}.f{background:url(data:image/png;base64,AAAA)}</style></head><body></body></html>`,
    );
    const css = doc.querySelectorAll('style')[0]!.textContent!;
    for (const f of ['imp1.css', 'imp2.css', 'imp3.css', 'f.woff2', 'f.woff', 'bg.png', 'esc.png', 'esc2.png', 's1.png', 's2.png', 's3.png', 'cur.png'])
      expect(css, f).toContain(proxied(`${EVIL}/${f}`));
    expect(css).not.toContain('data:text/css'); // a data: stylesheet: the @import is dropped
    expect(css.match(/@import/g)!.length).toBe(3);
    expect(css).toContain('url(data:image/png;base64,AAAA)'); // a data: image: as it was
    expect(foreign(css)).toEqual([]);
  });

  test('style="" attributes, on HTML and SVG alike', () => {
    const doc = clean(
      `<div id="a" style="background-image: url(${EVIL}/inline.png); color: red"></div>` +
        `<div id="b" style='background: image-set("${EVIL}/set.png" 1x)'></div>` +
        `<div id="c" style="background: u\\rl(${EVIL}/esc.png)"></div><p id="d" style="color:red">x</p>`,
    );
    expect(doc.getElementById('a')!.getAttribute('style')).toBe(`background-image: url("${proxied(`${EVIL}/inline.png`)}"); color: red`);
    expect(doc.getElementById('b')!.getAttribute('style')).toBe(`background: image-set("${proxied(`${EVIL}/set.png`)}" 1x)`);
    expect(doc.getElementById('c')!.getAttribute('style')).toBe(`background: url("${proxied(`${EVIL}/esc.png`)}")`);
    expect(doc.getElementById('d')!.getAttribute('style')).toBe('color:red');
  });

  test('declarative shadow roots are cleaned too (the frame attaches them)', () => {
    const doc = clean(`<div><template shadowrootmode="open"><img src="${EVIL}/shadow.png"><style>a{background:url(${EVIL}/s.png)}</style><script>x()</script></template></div>`);
    const t = doc.querySelector('template')!;
    expect(t.content.querySelector('img')!.getAttribute('src')).toBe(proxied(`${EVIL}/shadow.png`));
    expect(t.content.querySelector('script')).toBeNull();
    expect(foreign(t.innerHTML)).toEqual([]);
  });

  test('HTML that re-parses into something else (mutation XSS) is cleaned as the frame sees it', () => {
    const out = sanitizeSnapshot(`<svg></p><style><a id="</style><img src=${EVIL}/mx.png>"></a></style></svg><math><mtext><table><mglyph><style><img src=${EVIL}/mx2.png>`, CTX);
    const again = new DOMParser().parseFromString(out, 'text/html');
    for (const img of Array.from(again.querySelectorAll('img'))) expect(img.getAttribute('src') ?? '').not.toContain('evil.example/mx');
  });

  test('the dashboard origin and data: URLs are left as they are (the /demo site)', () => {
    const doc = clean(`<link rel="stylesheet" href="${SELF}/demo/demo.css"><img src="${SELF}/demo/logo.svg"><img src="data:image/gif;base64,R0lGOD">`);
    expect(doc.querySelector('link')!.getAttribute('href')).toBe(`${SELF}/demo/demo.css`);
    expect(doc.querySelectorAll('img')[0]!.getAttribute('src')).toBe(`${SELF}/demo/logo.svg`);
    expect(doc.querySelectorAll('img')[1]!.getAttribute('src')).toBe('data:image/gif;base64,R0lGOD');
  });

  test('a page that references another origin every way: nothing foreign is left', () => {
    const out = sanitizeSnapshot(
      `<!doctype html><html manifest="${EVIL}/m.appcache"><head><link rel="stylesheet" href="${EVIL}/a.css"><link rel="preconnect" href="${EVIL}">` +
        `<style>@import url(${EVIL}/i.css);@font-face{font-family:F;src:url(${EVIL}/f.woff2)}body{background:url(${EVIL}/b.png)}</style></head>` +
        `<body><img src="${EVIL}/i.png" srcset="${EVIL}/i2.png 2x"><div style="background:url(${EVIL}/d.png)"></div>` +
        `<svg><image href="${EVIL}/s.png"/></svg><a ping="${EVIL}/ping" href="#top">top</a></body></html>`,
      CTX,
    );
    expect(foreign(out)).toEqual([]);
    expect(out).not.toContain('ping=');
    expect(out).not.toContain('manifest=');
  });
});
