import fc from 'fast-check';
import { beforeAll, expect, test } from 'vitest';
import { internals } from './load';

let I: any;
beforeAll(async () => {
  I = (await internals()).I;
});

/** Reference FNV-1a 64 with BigInt over Node's UTF-8 encoding. */
function reference(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

test('FNV-1a 64 published test vectors', () => {
  expect(I.hash.fnv1a64('')).toBe('cbf29ce484222325');
  expect(I.hash.fnv1a64('a')).toBe('af63dc4c8601ec8c');
  expect(I.hash.fnv1a64('foobar')).toBe('85944171f73967e8');
});

test('matches a BigInt reference over UTF-8 for any string, lone surrogates included', () => {
  const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => I.hash.fnv1a64(s) === reference(s)), { numRuns: 150 });
  fc.assert(fc.property(fc.string({ unit: codeUnit }), (s) => I.hash.fnv1a64(s) === reference(s)), { numRuns: 150 });
});
