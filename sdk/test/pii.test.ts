import fc from 'fast-check';
import { beforeAll, expect, test } from 'vitest';
import { internals } from './load';

let redact: (s: string) => string;
beforeAll(async () => {
  redact = (await internals()).I.pii.redact;
});

test('emails', () => {
  expect(redact('Contact jane.doe+shop@mail.example.co.uk now')).toBe('Contact [email] now');
  expect(redact('/users/a_b%c@x.io/edit')).toBe('/users/[email]/edit');
  expect(redact('no at sign here 2024')).toBe('no at sign here 2024');
});

test('card numbers: Luhn-valid 13–19 digits, with spaces or dashes', () => {
  expect(redact('card 4111 1111 1111 1111 ok')).toBe('card [card] ok');
  expect(redact('4111-1111-1111-1111')).toBe('[card]');
  expect(redact('5500005555555559')).toBe('[card]');
  expect(redact('378282246310005')).toBe('[card]'); // Amex, 15 digits
  // not Luhn-valid: an order number stays
  expect(redact('order 4111111111111112')).toBe('order 4111111111111112');
  expect(redact('short 411111111111')).toBe('short 411111111111');
});

test('IBANs: mod-97 valid, compact or grouped, any case', () => {
  expect(redact('IBAN DE89 3704 0044 0532 0130 00.')).toBe('IBAN [iban].');
  expect(redact('GB82WEST12345698765432')).toBe('[iban]');
  expect(redact('/pay/de89370400440532013000')).toBe('/pay/[iban]');
  expect(redact('DE89370400440532013001')).toBe('DE89370400440532013001'); // bad checksum
});

test('US social security numbers', () => {
  expect(redact('ssn 123-45-6789')).toBe('ssn [ssn]');
  expect(redact('123 45 6789')).toBe('[ssn]');
  expect(redact('tel 123-456-7890')).toBe('tel 123-456-7890');
});

/** Luhn check digit for a digit string. */
function luhnComplete(body: string): string {
  let sum = 0;
  for (let i = body.length - 1, dbl = true; i >= 0; i--, dbl = !dbl) {
    let n = +body[i]!;
    if (dbl && (n *= 2) > 9) n -= 9;
    sum += n;
  }
  return body + ((10 - (sum % 10)) % 10);
}

test('property: generated PII embedded in text never survives', () => {
  const word = fc.stringMatching(/^[a-z]{1,8}$/);
  const email = fc.tuple(word, word, fc.constantFrom('com', 'org', 'de', 'io')).map(([a, b, t]) => `${a}@${b}.${t}`);
  const card = fc.stringMatching(/^[1-9][0-9]{11,17}$/).map(luhnComplete);
  const ssn = fc.stringMatching(/^[0-9]{3}-[0-9]{2}-[0-9]{4}$/);
  const pii = fc.oneof(email, card, ssn);
  fc.assert(
    fc.property(word, pii, word, (a, secret, b) => {
      const out = redact(`${a} ${secret} ${b}`);
      return !out.includes(secret) && out.startsWith(a + ' ') && out.endsWith(' ' + b);
    }),
    { numRuns: 500 },
  );
});
