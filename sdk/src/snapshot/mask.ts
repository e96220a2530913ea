// Text masking for snapshots. A masked string keeps its length, its whitespace and ASCII
// punctuation (so lines wrap at the same places), and roughly its width: uppercase ASCII letters
// become `X`, digits `0`, full-width CJK / kana / Hangul characters `〇` (U+3007, itself
// full-width), every other character `x` — and every fifth `x` of a run an `i`, which brings the
// average glyph width down to that of real text (`x` alone is wider than the average letter:
// measured on the demo site, pages masked with `x` alone grew up to 4 % taller, with this pattern
// under 0.5 %). What survives is the shape of the text (word lengths, capitals, where the digits
// and punctuation are), never its content: the pattern depends on positions only.

const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/g;

export function mask(s: string): string {
  return s
    .replace(/[A-Z]/g, 'X')
    .replace(/[0-9]/g, '0')
    .replace(WIDE, '\u3007')
    .replace(/[^\sX0\u3007!-/:-@[-`{-~]/g, 'x')
    .replace(/xxxxx/g, 'xxxxi');
}
