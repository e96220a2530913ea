// FNV-1a 64-bit over the UTF-8 bytes of a string, as 16 lowercase hex digits. This is the
// selector_hash of the wire format; the server and dashboard reproduce it (docs/sdk.md). 64-bit
// arithmetic without BigInt (not in our ES2017 target): two 32-bit halves. The product with the
// prime 2^40 + 0x1b3 is hi·0x1b3 + (lo << 8) + carry(lo·0x1b3) for the high half, lo·0x1b3 for the
// low one; every intermediate stays below 2^42, exact in a double. TextEncoder gives the UTF-8
// bytes (a lone surrogate becomes U+FFFD, as everywhere else).

export function fnv1a64(s: string): string {
  const b = new TextEncoder().encode(s);
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < b.length; i++) {
    const m = ((lo ^ b[i]!) >>> 0) * 0x1b3;
    hi = (hi * 0x1b3 + ((lo ^ b[i]!) << 8) + ((m / 4294967296) | 0)) >>> 0;
    lo = m >>> 0;
  }
  return (hi + 4294967296).toString(16).slice(1) + (lo + 4294967296).toString(16).slice(1);
}
