// The CSS masking policy: every CSS text a snapshot carries — a <style> sheet rule by rule as the
// CSSOM holds it (insertRule, constructed and adopted sheets included), a style="" attribute, a
// data:text/css stylesheet — goes through `maskCss`, and the replay recorder is to use it too.
// CSS can say anything the page can: `content: "…"` is visible text, a custom property holds any
// tokens, and `\40` spells @ where a pattern match on the raw text would not see it.
//
// The rules:
// - comments are dropped;
// - every string, url() and run of other text is checked with core/pii.ts `redact` after CSS
//   escapes and percent-encoding are decoded; a match is replaced ([email], [card], [iban], [ssn])
//   whatever maskText says;
// - with maskText on, strings that are visible text are masked like text (mask.ts, same length):
//   those of `content`, and of custom properties (which `content` reads through var()), but for
//   ones named *font* / *family*, which hold font names; private-use characters (icon fonts) stay;
// - url() and @import URLs are made absolute (urls.ts `assetUrl`, which also redacts their
//   percent-encoded query and fragment); a data:text/css one is masked in turn;
// - everything else is kept byte for byte, escapes included (`.md\:flex` stays as it is).
//
// A tokenizer, not a parser: comments, strings, url() and escapes are all it needs to know where
// text is. Linear in the input, no allocation on the common path (one `redact` of a rule without
// quotes, escapes or URLs); callers pass one rule or one attribute at a time, so each stays a
// small unit of a time-sliced snapshot.

import { redact } from '../core/pii';
import { mask } from './mask';
import { assetUrl, dataText, dataUrl, pctDecode, redactDeep } from './urls';

export interface CssMaskOptions {
  /** what relative url()s resolve against */
  base: string;
  /** mask visible strings like text (PII patterns are redacted either way) */
  maskText: boolean;
}

/**
 * A comment | a "string" | a 'string' | an unquoted url(…) | an escape, which is plain text but
 * must be stepped over: `.content-\[\'x\'\]` (Tailwind) has no string in it.
 */
const TOKEN = /\/\*[\s\S]*?(?:\*\/|$)|"((?:[^"\\\n]|\\[\s\S])*)"?|'((?:[^'\\\n]|\\[\s\S])*)'?|url\(\s*((?:[^"'()\\\s]|\\[\s\S])*)\s*\)|\\[\s\S]/gi;
/** Text that needs the tokenizer; anything else is decided by one `redact`. */
const SPECIAL = /["'\\]|\/\*|url\(|@import|%[0-9a-f]{2}/i;
const PCT = /%[0-9a-f]{2}/i;
/** A CSS escape: `\` then 1–6 hex digits and an optional whitespace, or any other character. */
const ESC = '\\\\(?:[0-9a-f]{1,6}(?:\\r\\n|[ \\t\\r\\n\\f])?|[^\\r\\n\\f])';
const ESCAPES = new RegExp(ESC, 'gi');
const UNIT = new RegExp(ESC + '|[\\s\\S]', 'gi');
/** A run of characters PII patterns are made of (escaped or not): where a match can hide. */
const RUN = new RegExp('(?:[\\w.+%@ -]|' + ESC + ')+', 'gi');
/** Private-use characters: icon-font glyphs, kept when a string is masked. */
const TEXT = /[^\ue000-\uf8ff]+/g;

const hex = (c: string): string => '\\' + c.charCodeAt(0).toString(16) + ' ';

/** The character a CSS escape stands for (a unit of UNIT: an escape or one character). */
function unit(u: string, bmp: boolean): string {
  if (u.charAt(0) !== '\\' || u.length < 2) return u;
  const h = /^\\([0-9a-f]{1,6})/i.exec(u);
  if (!h) return u.charAt(1) === '\n' || u.charAt(1) === '\r' || u.charAt(1) === '\f' ? '' : u.charAt(1);
  const n = parseInt(h[1]!, 16);
  if (!n || (n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff || (bmp && n > 0xffff)) return '\ufffd';
  return String.fromCodePoint(n);
}

/** A string token's body, unescaped (`\` before a newline continues the line). */
function unescapeCss(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  return s.replace(/\\(?:[0-9a-f]{1,6}(?:\r\n|[ \t\r\n\f])?|\r\n|[\s\S])/gi, (u) => unit(u, false));
}

/** A CSS string of `s`. */
function quote(s: string, q: string): string {
  return q + s.replace(q === '"' ? /["\\\n\r\f]/g : /['\\\n\r\f]/g, hex) + q;
}

/** Decoded text put back where an identifier was: every character but the harmless escaped. */
function ident(s: string): string {
  return s.replace(/[^\w .@%+\-\u0080-\uffff]/g, hex);
}

/**
 * One run of plain text: unchanged unless its decoded form holds PII. Then the units before the
 * first match and after the last stay as they were; the rest is the redacted text, escaped.
 */
function run(raw: string): string {
  // one character per escape: the units of `d` are those of UNIT
  const d = raw.indexOf('\\') < 0 ? raw : raw.replace(ESCAPES, (u) => unit(u, true));
  if (!/[@\d]/.test(d)) return raw; // every pattern, and %40, needs one (most runs: a name)
  const f = pctDecode(d);
  if (f !== d) {
    const rf = redact(f);
    if (rf !== f) return ident(rf);
  }
  const r = redact(d);
  if (r === d) return raw;
  // a match never starts with '[' nor ends with ']', a replacement always does: these find it
  const units = raw.match(UNIT)!;
  let a = 0;
  while (d.charAt(a) === r.charAt(a)) a++;
  let b = 0;
  const n = Math.min(d.length, r.length) - a;
  while (b < n && d.charAt(d.length - 1 - b) === r.charAt(r.length - 1 - b)) b++;
  return units.slice(0, a).join('') + ident(r.slice(a, r.length - b)) + units.slice(units.length - b).join('');
}

/** Text between tokens: selectors, property names, numbers, identifiers, at-rules. */
function plain(s: string): string {
  return s.indexOf('\\') < 0 && !PCT.test(s) && redact(s) === s ? s : s.replace(RUN, run);
}

/** The property of the declaration `gap` ends in (after `prev`, the one before it), or ''. */
function declaration(gap: string, prev: string): string {
  const i = Math.max(gap.lastIndexOf('{'), gap.lastIndexOf('}'), gap.lastIndexOf(';'));
  if (i < 0 && prev) return prev;
  const m = /^\s*(--[^\s:]*|[a-z-]+)\s*:/i.exec(i < 0 ? gap : gap.slice(i + 1));
  return m ? m[1]!.toLowerCase() : '';
}

/** Whether the strings of property `p` are visible text. */
const visible = (p: string): boolean => p === 'content' || (p.slice(0, 2) === '--' && !/font|family/.test(p));

/** A url() or @import URL: absolute and redacted; a data:text/css one masked as CSS. */
export function cssAsset(u: string, o: CssMaskOptions): string {
  const s = u.trim();
  if (!s || s.charAt(0) === '#') return redactDeep(s); // a reference inside the document
  if (!/^data:text\/css/i.test(s)) return assetUrl(s, o.base);
  const t = dataText(s);
  return t ? dataUrl('data:text/css', maskCss(t[1], o)) : '';
}

/** Input characters a piece of `cssPieces` covers, about (it ends after a token or a '}'). */
export const PIECE = 16384;

/**
 * `maskCss` in pieces, for time slicing (a Tailwind @layer rule can be 100 KB): each call masks
 * about PIECE more characters and returns the output for them; null once all is done.
 */
export function cssPieces(css: string, o: CssMaskOptions): () => string | null {
  const special = SPECIAL.test(css);
  let pos = 0;
  let prop = '';
  /** the next token at or after pos; undefined: not searched yet */
  let m: RegExpExecArray | null | undefined;
  /** where that search goes on: past the escapes (plain text) found so far */
  let skip = 0;
  let out = '';
  /** masks the plain text from pos to `end` */
  const plainTo = (end: number): void => {
    const gap = css.slice(pos, end);
    out += plain(gap);
    prop = declaration(gap, prop);
    pos = end;
  };
  return () => {
    if (pos >= css.length) return null;
    const stop = pos + PIECE;
    out = '';
    while (pos < css.length && pos < stop) {
      if (m === undefined) {
        TOKEN.lastIndex = Math.max(pos, skip); // set each time: a data:text/css URL uses TOKEN too
        m = special ? TOKEN.exec(css) : null;
        if (m && m[0].charAt(0) === '\\') {
          skip = TOKEN.lastIndex;
          m = undefined;
          // a long stretch of escapes (Tailwind's class names): a piece ends after a '}' in it
          const c = skip > stop ? css.lastIndexOf('}', skip - 1) : -1;
          if (c >= pos) plainTo(c + 1);
          continue;
        }
      }
      const at = m ? m.index : css.length;
      if (pos < at) {
        // plain text up to the token; a long one cut after a '}' (no run of PII crosses one)
        const c = at > stop ? css.indexOf('}', stop) : -1;
        plainTo(c >= 0 && c < at ? c + 1 : at);
        continue;
      }
      const tok = m![0];
      const before = css.slice(Math.max(0, at - 32), at);
      pos = at + tok.length;
      if (tok.charAt(0) === '/') {
        // a comment only separates tokens: a space where two names would otherwise join
        if (/[\w-]/.test(css.charAt(at - 1)) && /[\w-]/.test(css.charAt(pos))) out += ' ';
      } else if (m![3] !== undefined) {
        const raw = m![3];
        const u = unescapeCss(raw);
        const v = cssAsset(u, o);
        out += v === u && u === raw ? tok : 'url(' + (/^[^"'()\\\s]*$/.test(v) ? v : quote(v, '"')) + ')';
      } else {
        const s = unescapeCss(m![1] !== undefined ? m![1] : m![2]!);
        const v = /(?:url\(|@import)\s*$/i.test(before)
          ? cssAsset(s, o)
          : o.maskText && visible(prop)
            ? s.replace(TEXT, (t) => mask(t))
            : redactDeep(s);
        out += v === s ? tok : quote(v, tok.charAt(0));
      }
      m = undefined;
    }
    return out;
  };
}

/** `css` with PII redacted, comments dropped, URLs absolute and visible strings masked (see above). */
export function maskCss(css: string, o: CssMaskOptions): string {
  if (!SPECIAL.test(css) && css.length <= PIECE) return plain(css);
  const next = cssPieces(css, o);
  let out = '';
  for (let s = next(); s !== null; s = next()) out += s;
  return out;
}
