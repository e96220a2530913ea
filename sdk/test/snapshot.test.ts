// The snapshot serializer's privacy and rendering rules (src/snapshot/serialize.ts): what a
// heatmap snapshot may contain, on a jsdom page. Runs on the minified internals in dist mode.
import { expect, test } from 'vitest';
import { internals, ORIGIN } from './load';

const PAGE = `<!doctype html><html lang="en"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="refresh" content="0;url=https://evil.test/"><meta name="csrf-token" content="s3cr3t-token">
<base href="/shop/">
<title>Order for Jane</title>
<link rel="stylesheet" href="css/site.css" integrity="sha384-x" crossorigin="anonymous">
<link rel="preload" href="font.woff2" as="font"><link rel="icon" href="/favicon.ico">
<style>.hero { background: url(img/hero.png) } @font-face { src: url("/f.woff2") }</style>
<script>window.secret = 1</script>
</head><body class="home" onload="track()">
<noscript><img src="/pixel.gif"></noscript>
<h1 id="t" title="Hello Jane">Hello Jane Doe, welcome</h1>
<p>Contact: jane.doe@example.com, card 4111 1111 1111 1111</p>
<a id="l1" href="account?user=jane&utm_source=x#frag" onclick="go()">My account</a>
<a id="l2" href="javascript:alert(1)">Run</a>
<a id="l3" href="mailto:jane@example.com">Mail</a>
<img id="i1" src="img/a.png" srcset="img/a-1x.png 1x, img/a-2x.png 2x" alt="Jane's avatar">
<form action="/login" method="post">
  <input id="email" type="email" name="email" value="jane@example.com" placeholder="you@example.com">
  <input id="pw" type="password" name="pw" value="hunter2">
  <input id="cc" autocomplete="cc-number" value="4111111111111111">
  <input id="hid" type="hidden" name="csrf" value="tok-123">
  <input id="go" type="submit" value="Sign in">
  <textarea id="ta">my private note</textarea>
  <select id="sel"><option value="u-42" selected>Premium plan</option></select>
  <button formaction="/steal" onmouseover="x()">Buy now</button>
</form>
<div id="ign" data-tapistry-ignore class="chat" style="color: red"><p>secret chat</p><input value="x"></div>
<div id="msk" data-tapistry-mask><span>visible?</span><img src="/me.jpg" alt="me"></div>
<iframe id="fr" src="https://ads.example/" width="300" height="250"></iframe>
<canvas id="cv" width="200" height="100"></canvas>
<video id="vd" src="/v.mp4" poster="/p.jpg"></video>
<svg width="10" height="10"><use href="#icon"></use><text>Label</text><script>alert(1)</script></svg>
<div style="background-image: url('bg.png')">x</div>
<template><p>template</p></template>
</body></html>`;

/** offsetWidth/Height from width/height attributes (jsdom has no layout). */
function fakeLayout(w: any): void {
  for (const [prop, attr] of [['offsetWidth', 'width'], ['offsetHeight', 'height']] as const) {
    Object.defineProperty(w.HTMLElement.prototype, prop, {
      configurable: true,
      get(this: Element) {
        return +(this.getAttribute(attr) || 0) || (this.id === 'ign' ? (attr === 'width' ? 640 : 120) : 0);
      },
    });
  }
}

async function snap(html = PAGE, opts: Record<string, unknown> = {}, before?: (w: any) => void) {
  const { w, I } = await internals(html, ORIGIN + '/shop/cart');
  fakeLayout(w);
  if (before) before(w);
  const r = I.snapshot.serializeNow(w.document, { maskText: true, queryAllowlist: ['utm_source'], ...opts });
  const out = r.parts.join('');
  const doc = new w.DOMParser().parseFromString(out, 'text/html') as Document;
  return { w, I, r, html: out, doc };
}

test('all text is masked with same-length glyphs; whitespace and punctuation kept', async () => {
  const { html, doc } = await snap();
  expect(doc.getElementById('t')!.textContent).toBe('Xxxxx Xxxx Xxx, xxxxixx');
  expect(doc.title).toBe('Xxxxx xxx Xxxx');
  for (const word of ['Jane', 'jane', 'Doe', 'welcome', 'Premium', 'Buy now', 'Label', 'secret chat', '4111', 'jane.doe@', 'Contact']) {
    expect(html, word).not.toContain(word);
  }
  // text attributes masked the same way
  expect(doc.getElementById('t')!.getAttribute('title')).toBe('Xxxxx Xxxx');
  expect(doc.getElementById('email')!.getAttribute('placeholder')).toBe('xxx@xxxxixx.xxx');
});

test('form fields: values gone (button labels masked), textarea empty, passwords never read', async () => {
  let reads = 0;
  const { html, doc } = await snap(PAGE, {}, (w) => {
    // no form field's live value is ever read
    for (const C of [w.HTMLInputElement, w.HTMLTextAreaElement, w.HTMLSelectElement]) {
      Object.defineProperty(C.prototype, 'value', { configurable: true, get: () => (reads++, 'read!') });
    }
  });
  expect(reads).toBe(0);
  for (const id of ['email', 'pw', 'cc', 'hid']) expect(doc.getElementById(id)!.hasAttribute('value'), id).toBe(false);
  expect(doc.getElementById('go')!.getAttribute('value')).toBe('Xxxx xx');
  expect(doc.getElementById('ta')!.textContent).toBe('');
  expect(doc.querySelector('option')!.hasAttribute('value')).toBe(false);
  expect(html).not.toMatch(/hunter2|tok-123|4111111111111111|my private note/);
  // no submission target
  expect(doc.querySelector('form')!.hasAttribute('action')).toBe(false);
  expect(doc.querySelector('button')!.hasAttribute('formaction')).toBe(false);
});

test('scripts, noscript, templates, handlers, javascript: URLs, <base> and stray <meta> are gone', async () => {
  const { html, doc } = await snap();
  expect(doc.querySelectorAll('script,noscript,template,base').length).toBe(0);
  expect(html).not.toMatch(/\son[a-z]+=/i);
  expect(html).not.toMatch(/javascript:|alert\(|window\.secret|evil\.test|s3cr3t/);
  expect(doc.getElementById('l2')!.hasAttribute('href')).toBe(false);
  expect(doc.querySelectorAll('meta').length).toBe(2); // charset, viewport
  expect(doc.querySelectorAll('link').length).toBe(1); // the stylesheet only
});

test('URLs: assets absolute (against <base>), links sanitized like events', async () => {
  const { html, doc } = await snap();
  const link = doc.querySelector('link')!;
  expect(link.getAttribute('href')).toBe(ORIGIN + '/shop/css/site.css');
  expect(link.hasAttribute('integrity') || link.hasAttribute('crossorigin')).toBe(false);
  const img = doc.getElementById('i1')!;
  expect(img.getAttribute('src')).toBe(ORIGIN + '/shop/img/a.png');
  expect(img.getAttribute('srcset')).toBe(`${ORIGIN}/shop/img/a-1x.png 1x, ${ORIGIN}/shop/img/a-2x.png 2x`);
  expect(img.getAttribute('alt')).toBe("Xxxx'x xxxxix");
  // <style> comes from the CSSOM (jsdom's quotes the URL)
  expect(html).toMatch(new RegExp(`url\\("?${ORIGIN}/shop/img/hero.png"?\\)`));
  expect(html).toContain(`url('${ORIGIN}/shop/bg.png')`);
  // query dropped but the allowlist, fragment dropped; mailto: (an email) never kept
  expect(doc.getElementById('l1')!.getAttribute('href')).toBe(ORIGIN + '/shop/account?utm_source=x');
  expect(doc.getElementById('l3')!.getAttribute('href')).toBe('#');
  // SVG references inside the document stay
  expect(doc.querySelector('use')!.getAttribute('href')).toBe('#icon');
});

test('ignore → an empty box of its size; iframe, canvas, video → sized placeholders; mask → masked image', async () => {
  const { html, doc } = await snap();
  const ign = doc.getElementById('ign')!;
  expect(ign.tagName).toBe('DIV');
  expect(ign.getAttribute('data-tapistry-placeholder')).toBe('ignore');
  expect(ign.className).toBe('chat');
  expect(ign.childNodes.length).toBe(0);
  expect(ign.getAttribute('style')).toMatch(/^color: red;.*width:640px!important;height:120px!important/);
  expect(html).not.toContain('secret chat');
  for (const [id, kind, w, h] of [['fr', 'iframe', 300, 250], ['cv', 'canvas', 200, 100]] as const) {
    const el = doc.getElementById(id)!;
    expect(el.tagName, id).toBe('DIV');
    expect(el.getAttribute('data-tapistry-placeholder')).toBe(kind);
    expect(el.getAttribute('style')).toContain(`width:${w}px!important;height:${h}px!important`);
  }
  expect(doc.getElementById('vd')!.getAttribute('data-tapistry-placeholder')).toBe('video');
  expect(html).not.toMatch(/ads\.example|v\.mp4|p\.jpg/);
  const msk = doc.getElementById('msk')!;
  expect(msk.querySelector('img')).toBeNull();
  expect(msk.querySelector('[data-tapistry-placeholder="img"]')).not.toBeNull();
  expect(msk.querySelector('span')!.textContent).toBe('xxxxixx?');
});

test('maskText: false keeps text but redacts PII; [data-tapistry-mask] is masked regardless', async () => {
  const { html, doc } = await snap(PAGE, { maskText: false });
  expect(doc.getElementById('t')!.textContent).toBe('Hello Jane Doe, welcome');
  expect(html).toContain('Contact: [email], card [card]');
  expect(html).not.toContain('jane.doe@example.com');
  expect(doc.querySelector('#msk span')!.textContent).toBe('xxxxixx?');
  // form values stay out whatever maskText says
  expect(html).not.toMatch(/hunter2|tok-123|my private note/);
});

test('PII in attributes is redacted; CSSOM-only rules (insertRule) are serialized', async () => {
  const page = `<!doctype html><html><head><style id="css-in-js"></style></head>
    <body><div id="d" data-user="bob@example.com" data-card="4111-1111-1111-1111">x</div></body></html>`;
  const { w, I } = await internals(page, ORIGIN + '/');
  (w.document.getElementById('css-in-js') as HTMLStyleElement).sheet!.insertRule('.generated { color: red; }', 0);
  const r = I.snapshot.serializeNow(w.document, { maskText: true, queryAllowlist: [] });
  const html = r.parts.join('');
  expect(html).toContain('data-user="[email]"');
  expect(html).toContain('data-card="[card]"');
  expect(html).toMatch(/<style id="css-in-js">[^<]*\.generated\s*\{\s*color: red;?\s*\}/);
});

test('doctype kept; viewport and document size reported', async () => {
  const { w, I } = await internals('<!doctype html><html><body><p>x</p></body></html>', ORIGIN + '/');
  Object.defineProperty(w.document.documentElement, 'scrollHeight', { configurable: true, get: () => 5200 });
  Object.defineProperty(w.document.documentElement, 'scrollWidth', { configurable: true, get: () => 1440 });
  const r = I.snapshot.serializeNow(w.document, { maskText: true, queryAllowlist: [] });
  expect(r.parts[0]).toBe('<!DOCTYPE html>');
  expect(r.doc).toEqual({ w: 1440, h: 5200 });
  expect(r.viewport).toEqual({ w: 1000, h: 800 });
});

test('heavy pieces (srcset, data: URLs over 1 KB) are marked and lightened first', async () => {
  const big = 'data:image/png;base64,' + 'A'.repeat(5000);
  const page = `<!doctype html><html><body><img id="a" src="${big}" srcset="/a.png 1x, /b.png 2x">
    <div id="b" style="background:url(${big})">x</div><img id="c" src="data:image/gif;base64,R0lGOD"></body></html>`;
  const { w, I } = await internals(page, ORIGIN + '/');
  const r = I.snapshot.serializeNow(w.document, { maskText: true, queryAllowlist: [] });
  const heavy = r.heavy.map((i: number) => r.parts[i]);
  expect(heavy).toHaveLength(3);
  const light = r.parts.map((p: string, i: number) => (r.heavy.includes(i) ? I.snapshot.lighten(p) : p)).join('');
  expect(light).not.toContain('AAAA');
  expect(light).not.toContain('srcset');
  expect(light).toContain('data:image/gif;base64,R0lGOD'); // small ones stay
  expect(light).toContain('<img id="a" src="">');
});

test('mask keeps length, spaces, punctuation, capitals and digits as shapes; CJK stays full-width', async () => {
  const { I } = await internals();
  const m = I.snapshotMask.mask;
  expect(m('Hello, World 2024!')).toBe('Xxxxx, Xxxxx 0000!');
  expect(m('日本語 テキスト')).toBe('〇〇〇 〇〇〇〇');
  expect(m(' a\n\tb\u00a0')).toBe(' x\n\tx\u00a0');
  // every fifth x of a run is an i (average width of real text); depends on positions only
  expect(m('abcdefghijkl Internationalization')).toBe('xxxxixxxxixx Xxxxxixxxxixxxxixxxx');
});

test('srcset parsing follows HTML: commas inside URLs, descriptors, non-assets dropped', async () => {
  const { I } = await internals();
  const s = I.snapshotUrls.srcset;
  expect(s('a.png 1x,b.png 2x', ORIGIN + '/p/')).toBe(`${ORIGIN}/p/a.png 1x, ${ORIGIN}/p/b.png 2x`);
  expect(s('/i/w_100,h_50/x.jpg 100w, /i/w_200,h_100/x.jpg 200w', ORIGIN + '/')).toBe(
    `${ORIGIN}/i/w_100,h_50/x.jpg 100w, ${ORIGIN}/i/w_200,h_100/x.jpg 200w`,
  );
  expect(s('javascript:alert(1) 1x, /ok.png 2x', ORIGIN + '/')).toBe(`${ORIGIN}/ok.png 2x`);
});
