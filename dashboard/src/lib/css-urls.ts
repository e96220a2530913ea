// Finds every URL a piece of CSS would load and lets the caller rewrite or drop it (issue 14: a
// snapshot's stylesheets must not make the analyst's browser fetch from wherever they point).
//
// A tokenizer after CSS Syntax Level 3, reduced to what decides where a URL is: comments, strings,
// escapes (`u\72l(` is `url(`, `\2f` is `/`), ident-like tokens (url tokens, functions), at-keywords,
// numbers with their units and hashes (so `12url(` and `#url(` are not taken for url tokens).
// A URL is
//   - a url token: url(x), its escapes decoded;
//   - the string argument of url("x") and src("x");
//   - a bare string right inside image-set(), -webkit-image-set() or image();
//   - the string after @import (`@import "x.css"`).
// @namespace url(…) names a namespace and loads nothing: left alone.
// Everything else is copied byte for byte, so CSS without URLs comes back unchanged. Where this
// reading and a browser's could still differ, the snapshot's CSP (lib/snapshot.ts) is the wall.

/** The URL to use instead of `url` (decoded, untrimmed), or null to drop it. */
export type UrlRewrite = (url: string, ctx: 'import' | 'url') => string | null;

/** What a dropped URL becomes: loads nothing (an image, font or cursor that never shows). */
export const DROPPED = 'data:,';

const isHex = (c: string | undefined) => !!c && /^[0-9a-fA-F]$/.test(c);
const isWs = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
const isNewline = (c: string | undefined) => c === '\n' || c === '\r' || c === '\f';
const isNameStart = (c: string | undefined) => !!c && (/^[a-zA-Z_]$/.test(c) || c.charCodeAt(0) >= 0x80);
const isName = (c: string | undefined) => !!c && (isNameStart(c) || /^[0-9-]$/.test(c));
const isDigit = (c: string | undefined) => !!c && c >= '0' && c <= '9';
const IMAGE_SETS = new Set(['image-set', '-webkit-image-set', 'image']);

/** A CSS string token for `v`. */
export function cssString(v: string): string {
  return '"' + v.replace(/[\\"]/g, (c) => '\\' + c).replace(/[\n\r\f]/g, (c) => '\\' + c.charCodeAt(0).toString(16) + ' ') + '"';
}

export function rewriteCss(css: string, rewrite: UrlRewrite): string {
  const n = css.length;
  let i = 0;
  // replacements of css[from, to), in order; a dropped @import takes out the ones inside it
  const edits: Array<{ from: number; to: number; text: string }> = [];
  const stack: string[] = []; // open functions (lower-case names) and bare '(' blocks
  let atRule = ''; // the at-rule whose prelude we are in, until ';', '{' or '}'
  let importDone = false;
  // The @import being read: where it starts, and whether its URL was written out by us. One whose
  // URL is dropped, bad or missing is removed whole: it would load nothing, but Chromium's preload
  // scanner reads `@import <text>;` on its own terms and could fetch the raw text.
  let importAt = -1;
  let importOk = false;
  let urlFnAt = -1; // where `url(` of an @import url("…") starts
  let importString: string | null = null; // its string, until the ')'

  // replaces css[from, i) with `text`
  const replace = (from: number, text: string) => {
    edits.push({ from, to: i, text });
  };
  // the @import's URL, met at css[from, i): written as url("…"), or the whole rule dropped
  const importUrl = (from: number, v: string | null) => {
    const to = v === null ? null : rewrite(v, 'import');
    if (to === null) return;
    replace(from, 'url(' + cssString(to) + ')');
    importOk = true;
  };
  // the at-rule ends at css[i - 1] (';', '{', '}' or the end); an @import without its URL goes
  const endAtRule = () => {
    if (atRule === 'import' && !importOk) {
      while (edits.length && edits[edits.length - 1]!.from >= importAt) edits.pop();
      edits.push({ from: importAt, to: i, text: '' });
    }
    atRule = '';
  };
  // a valid escape starts at css[p]: a backslash not followed by a newline
  const validEscape = (p: number) => css[p] === '\\' && p + 1 < n && !isNewline(css[p + 1]);
  const identStart = (p: number) => {
    if (css[p] === '-') return isNameStart(css[p + 1]) || css[p + 1] === '-' || validEscape(p + 1);
    return isNameStart(css[p]) || validEscape(p);
  };
  // consumes the escape at css[i] (a valid one) and returns the character it stands for
  const escape = (): string => {
    i++; // the backslash
    if (isHex(css[i])) {
      let h = '';
      while (h.length < 6 && isHex(css[i])) h += css[i++];
      if (css[i] === '\r' && css[i + 1] === '\n') i += 2;
      else if (isWs(css[i])) i++;
      const cp = parseInt(h, 16);
      return cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\uFFFD' : String.fromCodePoint(cp);
    }
    const ch = String.fromCodePoint(css.codePointAt(i)!);
    i += ch.length;
    return ch;
  };
  const name = (): string => {
    let s = '';
    for (;;) {
      if (isName(css[i])) s += css[i++];
      else if (validEscape(i)) s += escape();
      else return s;
    }
  };
  // the string token at css[i] (its quote); its value, or null for a bad string (a raw newline)
  const string = (): string | null => {
    const q = css[i++];
    let s = '';
    while (i < n) {
      const c = css[i]!;
      if (c === q) {
        i++;
        return s;
      }
      if (isNewline(c)) return null; // the newline is not part of the bad string
      if (c === '\\') {
        const d = css[i + 1];
        if (d === undefined) i++;
        else if (d === '\r' && css[i + 2] === '\n') i += 3;
        else if (isNewline(d)) i += 2; // an escaped newline continues the string
        else s += escape();
        continue;
      }
      s += c;
      i++;
    }
    return s; // the end of the input ends a string
  };
  const skipWs = () => {
    while (isWs(css[i])) i++;
  };
  // Whether the URL met now is the @import's own: an @import has one, the first thing in its prelude.
  const takeImport = (depth: number): boolean => {
    if (atRule !== 'import' || importDone || stack.length !== depth) return false;
    importDone = true;
    return true;
  };
  // what a string token is here: the URL of an @import or a url()-like function, or just text
  const stringIsUrl = (): 'import' | 'url' | null => {
    if (!stack.length) return takeImport(0) ? 'import' : null;
    const top = stack[stack.length - 1]!;
    if (top === 'url' || top === 'src') {
      if (atRule === 'namespace' && stack.length === 1) return null;
      return takeImport(1) ? 'import' : 'url';
    }
    return IMAGE_SETS.has(top) ? 'url' : null;
  };
  // an unquoted url token, after `url(`; returns its value, or null for a bad url (which loads nothing)
  const urlToken = (): string | null => {
    skipWs();
    let v = '';
    while (i < n && css[i] !== ')') {
      const d = css[i]!;
      let bad = false;
      if (isWs(d)) {
        skipWs();
        bad = i < n && css[i] !== ')';
      } else if (d === '"' || d === "'" || d === '(' || d.charCodeAt(0) < 0x20 || d.charCodeAt(0) === 0x7f) {
        bad = true;
      } else if (d === '\\') {
        if (validEscape(i)) v += escape();
        else bad = true;
      } else {
        v += d;
        i++;
      }
      if (bad) {
        // the browser skips to the ')' (escaped ones do not count) and loads nothing
        while (i < n && css[i] !== ')') i += validEscape(i) ? 2 : 1;
        if (i < n) i++;
        return null;
      }
    }
    if (i < n) i++; // ')'
    return v;
  };

  while (i < n) {
    const c = css[i]!;
    const start = i;
    if (c === '/' && css[i + 1] === '*') {
      const end = css.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      const v = string();
      const kind = v === null ? null : stringIsUrl();
      if (kind === 'import' && !stack.length) importUrl(start, v);
      else if (kind === 'import') importString = v;
      else if (kind && v !== null) {
        const to = rewrite(v, kind);
        if (to !== v) replace(start, cssString(to ?? DROPPED));
      }
    } else if (isWs(c)) {
      i++;
    } else if (isDigit(c) || (c === '.' && isDigit(css[i + 1])) || ((c === '+' || c === '-') && (isDigit(css[i + 1]) || (css[i + 1] === '.' && isDigit(css[i + 2]))))) {
      // a number, its exponent, and its unit: a dimension is never a function
      if (c === '+' || c === '-') i++;
      while (isDigit(css[i])) i++;
      if (css[i] === '.' && isDigit(css[i + 1])) for (i++; isDigit(css[i]); ) i++;
      if ((css[i] === 'e' || css[i] === 'E') && (isDigit(css[i + 1]) || ((css[i + 1] === '+' || css[i + 1] === '-') && isDigit(css[i + 2])))) {
        i += 2;
        while (isDigit(css[i])) i++;
      }
      if (identStart(i)) name();
      else if (css[i] === '%') i++;
    } else if (c === '#' && (isName(css[i + 1]) || validEscape(i + 1))) {
      i++;
      name();
    } else if (c === '@' && identStart(i + 1)) {
      i++;
      const at = name().toLowerCase();
      if (stack.length || atRule) continue; // inside a function or a rule's prelude: a token, not a rule
      atRule = at;
      importDone = false;
      importAt = start;
      importOk = false;
    } else if (identStart(i)) {
      const id = name().toLowerCase();
      if (css[i] !== '(') continue;
      i++;
      let j = i;
      while (isWs(css[j])) j++;
      if (id !== 'url' || css[j] === '"' || css[j] === "'") {
        if (id === 'url' && atRule === 'import' && !importDone && !stack.length) urlFnAt = start;
        stack.push(id); // a function; url("…") is one whose string argument is the URL
        continue;
      }
      const v = urlToken();
      if (takeImport(0)) {
        importUrl(start, v);
        continue;
      }
      if (v === null || (atRule === 'namespace' && !stack.length)) continue;
      const to = rewrite(v, 'url');
      if (to !== v) replace(start, 'url(' + cssString(to ?? DROPPED) + ')');
    } else if (c === '(') {
      i++;
      stack.push('(');
    } else if (c === ')') {
      i++;
      stack.pop();
      if (importString !== null && !stack.length) {
        // @import url("…"): the function and its string are the URL
        const v = importString;
        importString = null;
        importUrl(urlFnAt, v);
      }
    } else if (c === ';' || c === '{' || c === '}') {
      i++;
      if (!stack.length) endAtRule();
    } else {
      i++; // a delim (a lone backslash before a newline too)
    }
  }
  if (!stack.length || atRule === 'import') endAtRule();
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += css.slice(at, e.from) + e.text;
    at = e.to;
  }
  return out + css.slice(at);
}
