// Text masking for snapshots. A masked string keeps its length, its whitespace (so lines wrap at
// the same places) and roughly its width: uppercase ASCII letters become `X`, digits `0`,
// full-width CJK / kana / Hangul characters `〇` (U+3007, itself full-width), and every other
// visible character `x`. What survives is the shape of the text (word lengths, capitals, where
// the digits are), never its content.

const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/g;

export function mask(s: string): string {
  return s
    .replace(/[A-Z]/g, 'X')
    .replace(/[0-9]/g, '0')
    .replace(WIDE, '\u3007')
    .replace(/[^\sX0\u3007]/g, 'x');
}
