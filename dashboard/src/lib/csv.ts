// CSV writing (RFC 4180 quoting) and client-side downloads.

export function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  // A leading = + - @, tab or CR — also after spaces — would run as a formula in a spreadsheet:
  // prefix a quote (OWASP CSV injection; the server's CSV does the same).
  const safe = /^ *[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? "'" + s : s;
  return /[",\n\r]/.test(safe) ? '"' + safe.replace(/"/g, '""') + '"' : safe;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** A file name part from a path: "/pricing/plans" → "pricing-plans", "/" → "home". */
export function slug(path: string): string {
  const s = path.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase();
  return s.slice(0, 60) || 'home';
}
