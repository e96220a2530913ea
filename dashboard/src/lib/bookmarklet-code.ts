// The bookmarklet a user drags to their bookmarks bar: it sets window.__tapistryBookmarklet (server,
// a short-lived read token, project and the dashboard's filters) and loads /bookmarklet.js from
// the server, which draws the heatmap over the page the user is on. Values are JSON-encoded, so
// nothing in them can break out of the script.

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

export function bookmarkletCode(c: BookmarkletConfig): string {
  const cfg = JSON.stringify(c).replace(/</g, '\\u003c');
  const src = JSON.stringify(c.server.replace(/\/+$/, '') + '/bookmarklet.js');
  return (
    'javascript:(function(){window.__tapistryBookmarklet=' +
    cfg +
    ';var s=document.createElement("script");s.src=' +
    src +
    '+"?t="+Date.now();(document.head||document.documentElement).appendChild(s);})();'
  );
}
