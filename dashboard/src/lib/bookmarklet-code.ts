// The bookmarklet a user drags to their bookmarks bar. Clicking it loads /bookmarklet.js from the
// server and, once loaded, hands the overlay its config through a function the script leaves on
// its own <script> element, then removes that element — so the config (with the short-lived
// token) is an argument of one call: never a global of the page, an attribute, or part of a URL.
// The overlay posts the token on to its frame (lib/overlay-messages.ts) and drops it.
// Values are JSON-encoded (and `<` escaped), so nothing in them can break out of the script.

export interface BookmarkletConfig {
  server: string;
  token: string;
  project_id: string;
  from?: string;
  to?: string;
  device?: string;
  vw?: string;
  kind?: string;
  /** The heat scale, 'log' or 'p99' (lib/heat.ts). */
  scale?: string;
}

/** The property of its <script> element where /bookmarklet.js leaves its start function. */
export const START_PROP = '__tapistryStart';

export function bookmarkletCode(c: BookmarkletConfig): string {
  const cfg = JSON.stringify(c).replace(/</g, '\\u003c');
  const src = JSON.stringify(c.server.replace(/\/+$/, '') + '/bookmarklet.js');
  const prop = JSON.stringify(START_PROP);
  return (
    'javascript:(function(){var c=' +
    cfg +
    ',s=document.createElement("script");s.src=' +
    src +
    '+"?t="+Date.now();s.onload=function(){var f=s[' +
    prop +
    '];s.remove();if(typeof f=="function")f(c);};(document.head||document.documentElement).appendChild(s);})();'
  );
}
