// FNV-1a 64-bit over the UTF-8 bytes of a string, as 16 lowercase hex digits. This is the
// selector_hash of the wire format; the server and dashboard reproduce it (docs/sdk.md). 64-bit
// arithmetic without BigInt (not in our ES2017 target): four 16-bit limbs, lowest first.

export function fnv1a64(s: string): string {
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const feed = (byte: number): void => {
    h0 ^= byte;
    // h * (2^40 + 0x1b3) mod 2^64
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (h0 << 8) + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + (h1 << 8) + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  };
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      feed(c);
      continue;
    }
    if (c < 0x800) {
      feed(0xc0 | (c >> 6));
    } else {
      const next = s.charCodeAt(i + 1);
      if (c >= 0xd800 && c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        feed(0xf0 | (c >> 18));
        feed(0x80 | ((c >> 12) & 63));
      } else {
        if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // lone surrogate, as TextEncoder does
        feed(0xe0 | (c >> 12));
      }
      feed(0x80 | ((c >> 6) & 63));
    }
    feed(0x80 | (c & 63));
  }
  return [h3, h2, h1, h0].map((h) => (h + 0x10000).toString(16).slice(1)).join('');
}
