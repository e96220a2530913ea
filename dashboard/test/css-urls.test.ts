import { expect, test } from 'vitest';
import { cssString, rewriteCss } from '../src/lib/css-urls';

/** Rewrites every URL to X(<url>) and records what was found, with its context. */
function run(css: string): { out: string; found: string[] } {
  const found: string[] = [];
  const out = rewriteCss(css, (u, ctx) => {
    found.push(ctx === 'import' ? '@' + u : u);
    return 'X(' + u + ')';
  });
  return { out, found };
}

test('url() in every spelling', () => {
  expect(run('a{background:url(https://e.example/a.png)}').out).toBe('a{background:url("X(https://e.example/a.png)")}');
  expect(run('a{background:url( "https://e.example/b.png" )}').out).toBe('a{background:url( "X(https://e.example/b.png)" )}');
  expect(run("a{background:url('https://e.example/c.png')}").out).toBe('a{background:url("X(https://e.example/c.png)")}');
  expect(run('a{background:URL(https://e.example/d.png)}').found).toEqual(['https://e.example/d.png']);
  expect(run('a{b:url(  https://e.example/e.png  )}').found).toEqual(['https://e.example/e.png']);
});

test('escapes are decoded as the browser does: in url tokens, strings and the function name', () => {
  expect(run('a{b:url(https\\3a //e.example/a.png)}').found).toEqual(['https://e.example/a.png']);
  expect(run('a{b:url(https://e.example\\2f b.png)}').found).toEqual(['https://e.example/b.png']);
  expect(run('a{b:url(https://e.example/\\(c\\).png)}').found).toEqual(['https://e.example/(c).png']);
  expect(run('a{b:url("https://e.ex\\61mple/d.png")}').found).toEqual(['https://e.example/d.png']);
  expect(run('a{b:url("https://e.example/\\\ne.png")}').found).toEqual(['https://e.example/e.png']); // escaped newline
  expect(run('a{b:u\\72l(https://e.example/f.png)}').found).toEqual(['https://e.example/f.png']);
  expect(run('a{b:\\75\\52\\4c(https://e.example/g.png)}').found).toEqual(['https://e.example/g.png']);
  expect(run('a{b:u\\rl("https://e.example/h.png")}').found).toEqual(['https://e.example/h.png']);
});

test('@import in every form; only its first URL', () => {
  expect(run('@import url(https://e.example/a.css);').found).toEqual(['@https://e.example/a.css']);
  expect(run('@import url("https://e.example/b.css") screen;').found).toEqual(['@https://e.example/b.css']);
  expect(run('@import "https://e.example/c.css";').out).toBe('@import url("X(https://e.example/c.css)");');
  expect(run('@import url( "https://e.example/c2.css" ) print;').out).toBe('@import url("X(https://e.example/c2.css)") print;');
  expect(run("@import 'https://e.example/d.css' layer(x) supports(display: grid) print;").found).toEqual(['@https://e.example/d.css']);
  expect(run('@IMPORT "https://e.example/e.css";').found).toEqual(['@https://e.example/e.css']);
  expect(run('@\\69mport "https://e.example/f.css";').found).toEqual(['@https://e.example/f.css']);
  expect(run('@import/**/"https://e.example/g.css";').found).toEqual(['@https://e.example/g.css']);
  // after the @import, strings are text again
  expect(run('@import "https://e.example/h.css"; a::before{content:"https://not.a.url/"}').found).toEqual(['@https://e.example/h.css']);
  expect(run('@media print{a::before{content:"https://not.a.url/"}}').found).toEqual([]);
});

test('image-set() and -webkit-image-set(): bare strings and url() alike', () => {
  const r = run('a{background-image:image-set("https://e.example/1x.png" 1x, url(https://e.example/2x.png) 2x, \'https://e.example/3x.png\' type("image/avif") 3x)}');
  expect(r.found).toEqual(['https://e.example/1x.png', 'https://e.example/2x.png', 'https://e.example/3x.png']);
  expect(r.out).toContain('type("image/avif")');
  expect(run('a{b:-webkit-image-set("https://e.example/w.png" 1x)}').found).toEqual(['https://e.example/w.png']);
  expect(run('a{b:image-set(linear-gradient(red, blue) 1x, "https://e.example/i.png" 2x)}').found).toEqual(['https://e.example/i.png']);
});

test('@font-face sources, cursors, masks, custom properties, src()', () => {
  expect(
    run('@font-face{font-family:X;src:local("X Font"),url(https://e.example/f.woff2) format("woff2"),url("https://e.example/f.woff#iefix") format("woff")}').found,
  ).toEqual(['https://e.example/f.woff2', 'https://e.example/f.woff#iefix']);
  expect(run('a{cursor:url(https://e.example/c.cur),auto;mask:url(https://e.example/m.svg#m);--bg:url(https://e.example/v.png)}').found).toEqual([
    'https://e.example/c.cur',
    'https://e.example/m.svg#m',
    'https://e.example/v.png',
  ]);
  expect(run('a{background:src("https://e.example/s.png")}').found).toEqual(['https://e.example/s.png']);
});

test('what is not a URL is left alone', () => {
  const css = [
    '@namespace svg url(http://www.w3.org/2000/svg);',
    '@namespace url("http://www.w3.org/1999/xhtml");',
    'a::before{content:"url(https://e.example/x)"}',
    '/* url(https://e.example/comment) */',
    'b{width:12url(https://e.example/dim)}', // a dimension, then a block: not a url token
    'c{x:#url(https://e.example/hash)}',
    'd{x:aurl(https://e.example/fn)}',
    'e{x:url(https://e.example/bad url)}', // a bad url loads nothing
    'f{x:url(https://e.example/bad"q)}',
    'g{font-family:"image-set"}',
    'h{transform:translate(10px,2px) rotate(3deg)}',
  ].join('\n');
  const r = run(css);
  expect(r.found).toEqual([]);
  expect(r.out).toBe(css);
});

test('fragment-only and data: URLs are offered too (the caller decides)', () => {
  expect(run('a{filter:url(#f);background:url(data:image/png;base64,AAAA)}').found).toEqual(['#f', 'data:image/png;base64,AAAA']);
});

test('an unchanged URL leaves the text byte for byte; a dropped one loads nothing', () => {
  const css = 'a { background : url( https://e.example/a.png ) }';
  expect(rewriteCss(css, (u) => u)).toBe(css);
  expect(rewriteCss('a{b:url(https://e.example/a.png)}', () => null)).toBe('a{b:url("data:,")}');
});

test('an @import whose URL is dropped, bad or missing is removed whole', () => {
  // Chromium's preload scanner fetches the raw text of a leading `@import <text>;` — even one the
  // CSS parser finds bad — so only an @import whose URL we wrote out is left
  expect(rewriteCss('@import "https://e.example/a.css";a{}', () => null)).toBe('a{}');
  expect(rewriteCss('@import url(https://e.example/b.css) screen;a{}', () => null)).toBe('a{}');
  expect(rewriteCss('@import url("https://e.example/c.css");a{}', () => null)).toBe('a{}');
  expect(run('@import url(https://e.example/4.cu\\rl"(ss);a{}').out).toBe('a{}');
  expect(run('@import url(https://e.example/x y);a{}').out).toBe('a{}');
  expect(run('@import foo;a{}').out).toBe('a{}');
  expect(run('@import "https://e.example/unterminated\na{}').out).toBe('}'); // up to the '{' that ends the rule
  expect(run('@import url("https://e.example/eof"').out).toBe('');
  expect(run('a{}@import "https://e.example/d.css";').out).toBe('a{}@import url("X(https://e.example/d.css)");');
});

test('rewritten values are quoted safely', () => {
  expect(cssString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\a d"');
  expect(rewriteCss('a{b:url(x)}', () => 'https://ok.example/")}body{background:red')).toBe('a{b:url("https://ok.example/\\")}body{background:red")}');
});

test('unterminated input does not throw', () => {
  for (const css of ['a{b:url(', 'a{b:url("https://e.example/x', '@import "x', 'a{b:image-set("x"', '/* x', 'a{b:url(x\\', '\\', '"\\'])
    expect(() => run(css)).not.toThrow();
  expect(run('a{b:url(https://e.example/eof').found).toEqual(['https://e.example/eof']);
});

test('an @import reads to its ";" as the browser does: functions and at-keywords inside it are its prelude', () => {
  // an unclosed function swallows the rest of the sheet into the @import's media list
  expect(rewriteCss("@import 'https://e.example/a.css' scr(en;a{b:url(https://e.example/b.png)}", () => null)).toBe('');
  expect(run('@import url(https://e.example/a.css) @import url(https://e.example/b.css);').found).toEqual(['@https://e.example/a.css', 'https://e.example/b.css']);
});
