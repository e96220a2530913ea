// Words for sign-in and sessions (pages/signin.ts, pages/settings.ts), kept pure for unit tests.

/** The sentence for a refused POST /auth/request (its JSON reason, or why it could not be sent). */
export function requestError(status: number, reason: string, retryAfterS: number): string {
  if (status === 429) {
    const mins = Math.max(1, Math.ceil(retryAfterS / 60));
    return `Too many sign-in links were asked for. Try again in ${mins} minute${mins === 1 ? '' : 's'}.`;
  }
  if (status === 400) return 'That does not look like an email address. Check it and try again.';
  if (status === 403) return 'This page cannot ask for a link from here. Open the dashboard at its own address and try again.';
  if (status === 0) return 'The Tapistry server could not be reached. Check your connection, then try again.';
  return `The server could not send a link (${status}${reason ? ': ' + reason : ''}). Try again in a moment.`;
}

/** "Firefox on Linux" from a user agent; the raw string when nothing is recognised. */
export function browserName(ua: string): string {
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : '';
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || ua || 'Unknown browser';
}
