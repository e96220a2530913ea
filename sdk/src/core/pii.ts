// PII patterns that never leave the page: emails, payment card numbers (Luhn-valid 13–19 digits,
// spaces or dashes allowed), IBANs (mod-97 valid) and US social security numbers (ddd-dd-dddd).
// Used on titles, URLs, referrers, selectors, event names and property values. The checksums keep
// order numbers and slugs intact while every real card number or IBAN is caught.

const EMAIL = /[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/gi;
const IBAN = /\b[a-z]{2}\d{2}(?: ?[a-z0-9]){11,30}\b/gi;
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
const SSN = /\b\d{3}[- ]\d{2}[- ]\d{4}\b/g;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length, alt = false; i--; alt = !alt) {
    let n = +digits.charAt(i);
    if (alt && (n *= 2) > 9) n -= 9;
    sum += n;
  }
  return sum % 10 === 0;
}

function mod97(iban: string): boolean {
  const s = (iban.slice(4) + iban.slice(0, 4)).toUpperCase();
  let r = 0;
  for (let i = 0; i < s.length; i++) {
    const v = parseInt(s.charAt(i), 36);
    r = (v > 9 ? r * 100 + v : r * 10 + v) % 97;
  }
  return r === 1;
}

/** Replaces every PII match by `[email]`, `[iban]`, `[card]` or `[ssn]`. */
export function redact(s: string): string {
  if (!/[@\d]/.test(s)) return s; // every pattern needs an @ or a digit: the common fast path
  return s
    .replace(EMAIL, '[email]')
    .replace(IBAN, (m) => (mod97(m.replace(/ /g, '')) ? '[iban]' : m))
    .replace(CARD, (m) => (luhn(m.replace(/\D/g, '')) ? '[card]' : m))
    .replace(SSN, '[ssn]');
}

/** True when `s` holds something `redact` would remove. */
export function hasPii(s: string): boolean {
  return redact(s) !== s;
}
