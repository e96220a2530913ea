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

/** Saves `data` as a file named `name` (a click on a temporary object-URL link). */
export function download(name: string, data: Blob | string, type = 'text/plain'): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
