// The CSS masking policy of snapshots (src/snapshot/css.ts) through the serializer: a test per
// place CSS can hide PII (issue 13, finding 6: a red-team page leaked an email from a ::after
// `content:` rule and one from an inline custom property), each with its own canary that must not
// be in the snapshot raw, CSS-unescaped or percent-decoded; then what masking does to visible
// strings, and that ordinary CSS comes out byte for byte. Runs on the minified internals in dist
// mode. Where jsdom's CSSOM drops a rule Chromium keeps (@font-face src, @namespace, @import after
// a rule), the sheet's rules are given as Chromium serializes them.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { internals, ORIGIN } from './load';

const PAGE = ORIGIN + '/shop/cart';

/** A Luhn-valid 16-digit card number starting with `prefix` (15 digits). */
function card(prefix: string): string {
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    let n = +prefix.charAt(14 - i);
    if (i % 2 === 0 && (n *= 2) > 9) n -= 9;
    sum += n;
  }
  return prefix + ((10 - (sum % 10)) % 10);
}

/** A mod-97-valid IBAN for `country` and `bban`. */
function iban(country: string, bban: string): string {
  const digits = (bban + country + '00').toUpperCase().replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  return country + String(98 - Number(BigInt(digits) % 97n)).padStart(2, '0') + bban;
}

/** What a reader could make of the output: HTML entities, CSS escapes and %-encoding undone, base64 payloads decoded. */
function decoded(s: string): string {
  let d = s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  d = d.replace(/\\([0-9a-f]{1,6})[ \t\n]?/gi, (_, h: string) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff) || 0xfffd));
  d = d.replace(/\\([\s\S])/g, '$1');
  for (let i = 0; i < 3; i++) d = d.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  for (const m of d.matchAll(/;base64,([A-Za-z0-9+/=]+)/g)) d += ' ' + Buffer.from(m[1]!, 'base64').toString('latin1');
  return d;
}

/** `canary` is nowhere in `html`: not raw, not decoded, not with its digits' separators removed. */
function expectGone(html: string, ...canaries: string[]): void {
  const d = decoded(html);
  const digits = d.replace(/[\s+-]/g, '');
  for (const c of canaries) {
    expect(html, c).not.toContain(c);
    expect(d, c + ' (decoded)').not.toContain(c);
    if (/^[\d\s-]+$/.test(c)) expect(digits, c + ' (digits)').not.toContain(c.replace(/\D/g, ''));
  }
}

interface Setup {
  head?: string;
  body?: string;
  maskText?: boolean;
  /** rules of <style id="s"> as Chromium's CSSOM serializes them (jsdom drops some) */
  cssom?: string[];
  before?: (w: any) => void;
}

async function snap(o: Setup): Promise<{ w: any; I: any; html: string }> {
  const page = `<!doctype html><html><head>${o.head || ''}</head><body>${o.body || ''}</body></html>`;
  const { w, I } = await internals(page, PAGE);
  if (o.cssom) {
    const rules = o.cssom.map((cssText) => ({ cssText }));
    Object.defineProperty(w.document.getElementById('s'), 'sheet', { configurable: true, get: () => ({ cssRules: rules }) });
  }
  if (o.before) o.before(w);
  const r = I.snapshot.serializeNow(w.document, { maskText: o.maskText ?? true, queryAllowlist: [] });
  return { w, I, html: r.parts.join('') };
}

test('<style>: a ::after content string (finding 6)', async () => {
  const head = '<style>.who::after { content: "cssleak-after@example.com"; color: red }</style>';
  const on = await snap({ head });
  expectGone(on.html, 'cssleak-after');
  expect(on.html).toMatch(/\.who::after\s*\{\s*content: "xxxxixx-xxxxi@xxxxixx\.xxx";\s*color: red;?\s*\}/);
  const off = await snap({ head, maskText: false });
  expectGone(off.html, 'cssleak-after');
  expect(off.html).toContain('content: "[email]"');
});

test('style="": a custom property string (finding 6)', async () => {
  const body = `<div id="d" style="--owner: 'cssleak-owner@example.com'; color: blue">x</div>`;
  for (const maskText of [true, false]) {
    const { html } = await snap({ body, maskText });
    expectGone(html, 'cssleak-owner');
    expect(html).toMatch(/id="d" style="--owner: '[^']+'; color: blue"/);
  }
});

test('custom property values without quotes (any tokens), in a sheet and inline', async () => {
  const tel = card('453201100000123');
  const { html } = await snap({
    head: '<style>:root { --contact: cssleak-bare@example.com; --pay: ' + tel.replace(/(\d{4})/g, '$1 ').trim() + '; --n: 4px }</style>',
    body: '<p style="--ssn: 219-09-9999; margin: 0">x</p>',
  });
  expectGone(html, 'cssleak-bare', tel, '219-09-9999');
  expect(html).toContain('--n: 4px');
  expect(html).toContain('margin: 0');
});

test('rules inserted by script (insertRule), which exist only in the CSSOM', async () => {
  const cc = card('510510510510510');
  const { html } = await snap({
    head: '<style id="cij"></style>',
    before: (w) => {
      const sheet = w.document.getElementById('cij').sheet;
      sheet.insertRule(`.chip::before { content: "card ${cc}" }`, 0);
      sheet.insertRule('.gen { color: rgb(1, 2, 3) }', 1);
    },
  });
  expectGone(html, cc);
  expect(html).toMatch(/<style id="cij">[^<]*\.chip::before[^<]*\.gen \{\s*color: rgb\(1, 2, 3\)/);
});

test('constructed stylesheets in adoptedStyleSheets, of the document and of a shadow root', async () => {
  const account = iban('DE', '3704004405320130' + '77');
  const { html } = await snap({
    body: '<div id="host"></div>',
    before: (w) => {
      const doc = new w.CSSStyleSheet();
      doc.replaceSync(`.iban::after { content: "${account}" } .doc-adopted { margin: 0 }`);
      Object.defineProperty(w.document, 'adoptedStyleSheets', { configurable: true, value: [doc] });
      const sr = w.document.getElementById('host').attachShadow({ mode: 'open' });
      sr.innerHTML = '<style>:host::after { content: "cssleak-shadow@example.com" }</style><span>x</span>';
      const own = new w.CSSStyleSheet();
      own.replaceSync(':host { --who: "cssleak-shadowadopted@example.com" }');
      Object.defineProperty(sr, 'adoptedStyleSheets', { configurable: true, value: [own] });
    },
  });
  expectGone(html, account, account.replace(/(.{4})/g, '$1 ').trim(), 'cssleak-shadow', 'cssleak-shadowadopted');
  expect(html).toMatch(/<style data-tapistry-adopted>[^<]*\.doc-adopted/);
  expect(html).toMatch(/<template shadowrootmode="open"><style data-tapistry-adopted>[^<]*:host/);
});

test('url(): PII in the query string, also %-encoded, double-encoded and with + for spaces', async () => {
  const cc = card('401288888888188');
  const { html } = await snap({
    head:
      '<style>.a { background: url("/img/a.png?u=cssleak-q1@example.com&v=2") }' +
      '.b { background: url(/img/b.png?u=cssleak-q2%40example.com) }' +
      '.c { background-image: url(https://cdn.example/c.png?u=cssleak-q3%2540example.com) }' +
      `.d { background: url('/img/d.png?cc=${cc.replace(/(\d{4})/g, '$1+').slice(0, -1)}') }</style>`,
  });
  expectGone(html, 'cssleak-q1', 'cssleak-q2', 'cssleak-q3', cc);
  expect(html).toContain(`${ORIGIN}/img/a.png?u=[email]&v=2`);
});

test('url(): PII in the fragment, and in an in-document #reference', async () => {
  const { html } = await snap({
    head: '<style>.a { background: url("/sprite.svg#cssleak-frag@example.com") } .b { fill: url(#cssleak-ref@example.com) }</style>',
  });
  expectGone(html, 'cssleak-frag', 'cssleak-ref');
  expect(html).toContain(`${ORIGIN}/sprite.svg#[email]`);
});

test('@import: url() and string forms', async () => {
  const { html } = await snap({
    head: '<style id="s"></style>',
    cssom: ['@import url("https://cdn.example/a.css?owner=cssleak-import1@example.com");', '@import "b.css?o=cssleak-import2%40example.com" screen;'],
  });
  expectGone(html, 'cssleak-import1', 'cssleak-import2');
  expect(html).toContain('@import url("https://cdn.example/a.css?owner=[email]")');
  expect(html).toContain(`@import "${ORIGIN}/shop/b.css?o=[email]" screen;`);
});

test('font-family names, quoted and as escaped identifiers', async () => {
  const { html } = await snap({
    head: String.raw`<style>.a { font-family: "cssleak-font1@example.com", serif } .b { font-family: cssleak-font2\40 example\.com, sans-serif }</style>`,
    body: `<p style="font-family: 'cssleak-font3@example.com'">x</p>`,
  });
  expectGone(html, 'cssleak-font1', 'cssleak-font2', 'cssleak-font3');
  expect(html).toContain('serif');
  expect(html).toContain('sans-serif');
});

test('attr(): the attribute it shows is redacted, and so is its fallback string', async () => {
  const { html } = await snap({
    head: '<style>.t::after { content: attr(data-owner) " / " attr(data-none, "cssleak-fallback@example.com") }</style>',
    body: '<span class="t" data-owner="cssleak-attr@example.com">x</span>',
    maskText: false,
  });
  expectGone(html, 'cssleak-fallback', 'cssleak-attr');
  expect(html).toContain('data-owner="[email]"');
  expect(html).toContain('attr(data-owner)');
});

test('@font-face: src url() and local() names', async () => {
  const { html } = await snap({
    head: '<style id="s"></style>',
    cssom: [
      '@font-face { font-family: Brand; src: url("/f/brand.woff2?u=cssleak-src@example.com") format("woff2"), local("cssleak-local@example.com"); }',
    ],
  });
  expectGone(html, 'cssleak-src', 'cssleak-local');
  expect(html).toContain(`src: url("${ORIGIN}/f/brand.woff2?u=[email]") format("woff2"), local("[email]")`);
});

test('@namespace: url() and string forms', async () => {
  const { html } = await snap({
    head: '<style id="s"></style>',
    cssom: ['@namespace a url(https://ns.example/?o=cssleak-ns1@example.com);', '@namespace b "urn:owner:cssleak-ns2@example.com";'],
  });
  expectGone(html, 'cssleak-ns1', 'cssleak-ns2');
  expect(html).toContain('@namespace a url(https://ns.example/?o=[email]);');
});

test('CSS escapes that spell PII: in strings, selectors, custom properties and inline styles', async () => {
  const cc = card('601100099990139');
  const esc = cc.replace(/\d/g, (d) => '\\3' + d + ' ');
  const { w, html } = await snap({
    head: String.raw`<style>.a::after { content: "\63 ssleak-esc1\40 example\2e com" } #cssleak-esc2\40 example\.com { color: red } .c { --x: cssleak-esc3\@example\.com }</style>`,
    body: String.raw`<p id="cssleak-esc2@example.com" style="--y: 'cssleak-esc4\000040example.com'; --cc: ${esc}">x</p>`,
    maskText: false,
  });
  expectGone(html, 'cssleak-esc1', 'cssleak-esc2', 'cssleak-esc3', 'cssleak-esc4', cc);
  // the selector still matches the element, whose id was redacted the same way
  expect(html).toContain(String.raw`#\5b email\5d  { color: red`);
  expect(html).toContain('id="[email]"');
  const out = new w.DOMParser().parseFromString(html, 'text/html');
  expect(out.querySelector(String.raw`#\5b email\5d `)?.tagName).toBe('P');
});

test('comments are dropped: inline styles and sheets read as text', async () => {
  const { html } = await snap({
    head: '<style id="s">.a { color: red /* owner: cssleak-comment1@example.com */ }</style>',
    body: '<p style="color: red; /* cssleak-comment2 */ margin: 1px/**/2px">x</p>',
    before: (w) => Object.defineProperty(w.document.getElementById('s'), 'sheet', { get: () => null }),
  });
  expectGone(html, 'cssleak-comment1', 'cssleak-comment2');
  expect(html).not.toContain('/*');
  expect(html).toContain('margin: 1px 2px');
});

test('selectors and other identifiers: card numbers, IBANs and SSNs in class names and keyframes', async () => {
  const cc = card('371449635398431');
  const account = iban('GB', 'WEST12345698765432');
  const { w, html } = await snap({
    head: `<style>.user-${cc} { color: red } @keyframes k-${account} { 0% { opacity: 0 } } .ssn::after { content: "078-05-1120" }</style>`,
    body: `<p class="user-${cc}">x</p>`,
    maskText: false,
  });
  expectGone(html, cc, account, '078-05-1120');
  // the rule keeps matching the element, whose class is redacted the same way
  expect(html).toContain('class="user-[card]"');
  expect(html).toContain(String.raw`.user-\5b card\5d  { color: red`);
  const out = new w.DOMParser().parseFromString(html, 'text/html');
  expect(out.querySelector(String.raw`.user-\5b card\5d `)?.tagName).toBe('P');
});

test('data: URLs: SVG text, data:text/css imports and stylesheet links are masked too', async () => {
  const svg = encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg"><text>cssleak-svg@example.com</text></svg>');
  const b64 = Buffer.from('<svg><text>cssleak-svg64@example.com</text></svg>').toString('base64');
  const css = encodeURIComponent('.x::after { content: "cssleak-datacss@example.com" }');
  const { html } = await snap({
    head:
      `<link rel="stylesheet" href="data:text/css,${css.replace('datacss', 'datalink')}">` +
      `<style id="s"></style>`,
    cssom: [
      `@import url("data:text/css,${css}");`,
      `.i { background: url("data:image/svg+xml,${svg}") }`,
      `.j { background: url(data:image/svg+xml;base64,${b64}) }`,
    ],
  });
  expectGone(html, 'cssleak-svg', 'cssleak-svg64', 'cssleak-datacss', 'cssleak-datalink');
  expect(html).toMatch(/<link rel="stylesheet" href="data:text\/css,[^"]+">/);
  expect(decoded(html)).toContain('<text>[email]</text>');
});

test('[data-tapistry-ignore] placeholders keep their inline style, masked', async () => {
  const { html } = await snap({ body: `<div data-tapistry-ignore style="--who: 'cssleak-ignored@example.com'; width: 10px">secret</div>`, maskText: false });
  expectGone(html, 'cssleak-ignored');
  expect(html).toMatch(/data-tapistry-placeholder="ignore" style="--who: '[xi@.-]+'; width: 10px;/);
});

test('maskText: visible strings masked like text (same length); icon glyphs and font names kept; off: kept, PII redacted', async () => {
  const head =
    String.raw`<style>.q::before { content: "Jane Doe \f101  2024" } .tw { --tw-content: 'Hello Ann' } ` +
    String.raw`:root { --font-sans: "Inter", sans-serif; --brand-font: "Acme Sans" } .g { grid-template-areas: "head head" "main side" }</style>`;
  const on = await snap({ head });
  expect(on.html).toContain('content: "Xxxx Xxx \uf101 0000"');
  expect(on.html).toContain("--tw-content: 'Xxxxx Xxx'");
  expect(on.html).toContain('--font-sans: "Inter", sans-serif');
  expect(on.html).toContain('--brand-font: "Acme Sans"');
  expect(on.html).toContain('grid-template-areas: "head head" "main side"'); // layout, not text
  expect(on.html).not.toMatch(/Jane|Hello Ann/);
  // Tailwind's arbitrary content: escaped quotes in a class name are not strings
  const { I } = await internals();
  const tw = String.raw`.after\:content-\[\'Hi\'\]::after { --tw-content: 'Hi Ann'; content: var(--tw-content) }`;
  expect(I.snapshotCss.maskCss(tw, { base: PAGE, maskText: true })).toBe(tw.replace("'Hi Ann'", "'Xx Xxx'"));
  const off = await snap({ head: head.replace('2024', 'jane@example.com'), maskText: false });
  expect(off.html).toContain('content: "Jane Doe \uf101 [email]"');
  expect(off.html).toContain("--tw-content: 'Hello Ann'");
  // [data-tapistry-mask]: its styles are masked whatever maskText says
  const m = await snap({ body: `<div data-tapistry-mask><style>.m::after { content: "Ann" }</style><p style="--label: 'Ann'">x</p></div>`, maskText: false });
  expect(m.html).toContain('content: "Xxx"');
  expect(m.html).toContain("--label: 'Xxx'");
});

/** Ordinary CSS: nothing to redact, nothing visible to mask. URLs already absolute. */
const ORDINARY = [
  String.raw`.btn-primary:hover:not([disabled]), a[href^="https://"] > .icon { color: #1a2b3c; background-color: rgba(0, 0, 0, 0.5) !important; }`,
  String.raw`.md\:flex { display: flex; } .w-1\/2 { width: 50%; } .\[mask-type\:luminance\] { mask-type: luminance; } .-mt-4 { margin-top: -1rem; }`,
  String.raw`.hero { background: linear-gradient(45deg, #eceef1 0 6px, #e1e4e8 6px 12px), url("${ORIGIN}/img/hero.png?v=3&w=1280") no-repeat center / cover; }`,
  String.raw`.sprite { background-image: url(${ORIGIN}/img/sprite.svg#cart); fill: url(#grad-1); } .px { background: url(data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==); }`,
  String.raw`.layout { display: grid; grid-template-areas: "header header" "nav main"; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); width: calc(100% - 2 * var(--gap, 16px)); }`,
  String.raw`@media (min-width: 768px) and (max-width: 1023.98px) { .col-md-6 { flex: 0 0 50%; max-width: 50%; } }`,
  String.raw`@supports (display: grid) { .grid { display: grid; } } @layer base, components;`,
  String.raw`@keyframes spin { 0% { transform: rotate(0deg); } 50% { opacity: .5 } 100% { transform: rotate(360deg); } }`,
  String.raw`@font-face { font-family: "Inter"; src: url("${ORIGIN}/fonts/inter.woff2") format("woff2"); unicode-range: U+0000-00FF, U+0131; font-display: swap; }`,
  String.raw`.fa-cart::before { content: "\f07a"; } .clearfix::after { content: ""; display: table; } ol { counter-reset: item 3; } .num { font-feature-settings: "tnum" 1, "liga" 0; }`,
  String.raw`:root { --color-red-500: oklch(63.7% 0.237 25.331); --spacing: 0.25rem; --font-sans: ui-sans-serif, system-ui, "Segoe UI Emoji"; --z: 2147483647; }`,
  String.raw`.shadow { box-shadow: 0 0 0 1px rgb(0 0 0 / 5%), 0 1px 2px 0 #0000000d; transition: all 150ms cubic-bezier(0.4, 0, 0.2, 1); z-index: 10; }`,
];

test('ordinary CSS survives byte for byte: colors, selectors, escapes, gradients, URLs, grid, media, fonts, icons', async () => {
  const { I } = await internals();
  for (const css of ORDINARY) expect(I.snapshotCss.maskCss(css, { base: PAGE, maskText: true }), css).toBe(css);
  const { html } = await snap({ head: '<style id="s"></style>', cssom: ORDINARY, body: `<p style="${ORDINARY[4]!.slice(9, -2).replace(/"/g, '&quot;')}">x</p>` });
  expect(html).toContain('<style id="s">' + ORDINARY.join('\n') + '\n</style>');
  expect(html).toContain('style="' + ORDINARY[4]!.slice(9, -2).replace(/"/g, '&quot;') + '"');
});

test('relative URLs are made absolute, unquoted ones stay unquoted; non-asset schemes emptied', async () => {
  const { I } = await internals();
  const c = (css: string) => I.snapshotCss.maskCss(css, { base: ORIGIN + '/a/b.css', maskText: true });
  expect(c('@font-face{src:url("/f.woff2") format("woff2"),url(f.woff)}')).toBe(
    `@font-face{src:url("${ORIGIN}/f.woff2") format("woff2"),url(${ORIGIN}/a/f.woff)}`,
  );
  expect(c("@import 'x.css'; @import url(y.css);")).toBe(`@import '${ORIGIN}/a/x.css'; @import url(${ORIGIN}/a/y.css);`);
  expect(c('a{background:url("javascript:alert(1)")}b{background:url(blob:x)}')).toBe('a{background:url("")}b{background:url()}');
  expect(c('a{background:url(x\\(1\\).png)}')).toBe(`a{background:url("${ORIGIN}/a/x(1).png")}`);
});

test('big rules are masked in pieces (time slicing) with the same result', async () => {
  const { I } = await internals();
  const o = { base: PAGE, maskText: true };
  const rule = '@layer utilities {' + ORDINARY.join('\n').repeat(60) + ' .x::after { content: "cssleak-big@example.com" } }';
  expect(rule.length).toBeGreaterThan(3 * I.snapshotCss.PIECE);
  const next = I.snapshotCss.cssPieces(rule, o);
  const pieces: string[] = [];
  for (let s = next(); s !== null; s = next()) pieces.push(s);
  expect(pieces.length).toBeGreaterThanOrEqual(3);
  const out = pieces.join('');
  expect(out).toBe(I.snapshotCss.maskCss(rule, o));
  expectGone(out, 'cssleak-big');
  expect(out.length).toBe(rule.length);
});

test('property: an email canary, each character escaped or not, in any CSS place, never comes out', async () => {
  const { I } = await internals();
  const email = 'cssleak-fuzz@example.com';
  const places = [
    (e: string) => `.a::after { content: "${e}" }`,
    (e: string) => `.a { --v: ${e}; }`,
    (e: string) => `.a { --v: '${e}'; }`,
    (e: string) => `.a { font-family: ${e}, serif }`,
    (e: string) => `#${e} { color: red }`,
    (e: string) => `.a { background: url("/x.png?u=${e}") }`,
    (e: string) => `.a { background: url(/x.png#${e}) }`,
    (e: string) => `@import "/y.css?${e}";`,
  ];
  const escapeChar = (ch: string, how: number): string =>
    how === 0 ? ch : how === 1 ? '\\' + ch.charCodeAt(0).toString(16) + ' ' : how === 2 ? '\\' + ch.charCodeAt(0).toString(16).padStart(6, '0') : /[\w]/.test(ch) ? ch : '\\' + ch;
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: places.length - 1 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: email.length, maxLength: email.length }),
      fc.boolean(),
      (p, hows, maskText) => {
        const e = email.replace(/[\s\S]/g, (ch, i: number) => escapeChar(ch, hows[i]!));
        const out = I.snapshotCss.maskCss(places[p]!(e), { base: PAGE, maskText });
        return !decoded(out).includes('cssleak-fuzz');
      },
    ),
    { numRuns: 300 },
  );
});

test('grouping rules (@media, @supports; @layer in e2e) are serialized rule by rule, their preludes masked too', async () => {
  const { w, html } = await snap({
    head:
      '<style>@media (min-width: 1px) { .m::after { content: "cssleak-media@example.com" } .m2 { color: red } }' +
      '@supports (display: grid) { .s { --who: cssleak-supports@example.com } }</style>',
    maskText: false,
  });
  expect(typeof w.CSSMediaRule).toBe('function');
  expectGone(html, 'cssleak-media', 'cssleak-supports');
  expect(html).toMatch(/@media \(min-width: 1px\) \{\n\.m::after \{ content: "\[email\]";? ?\}\n\.m2 \{ color: red;? ?\}\n\}\n/);
  expect(html).toMatch(/@supports \(display: grid\) \{\n\.s \{ --who: \\5b email\\5d ;? ?\}\n\}\n/);
});
