// A page URL's path as the server stores it (spec §9, server/src/ingest/url.cc RoutePath): lower
// case, percent-escapes of unreserved characters decoded, "//" collapsed, no index file, no
// trailing slash, a hash route ("#/a", "#!/a") kept as "#/a". For links from what a replay shows to
// that page's heatmap. The project's path rules (docs/settings.md) are not applied here: a page
// they rename has its heatmap under the rule's name.

function norm(raw: string): string {
  const p = raw
    .toLowerCase()
    .replace(/%([0-9a-f]{2})/g, (m, h: string) => {
      const c = String.fromCharCode(parseInt(h, 16));
      return /[a-z0-9\-._~]/i.test(c) ? c.toLowerCase() : m.toUpperCase();
    })
    .replace(/\/{2,}/g, '/')
    .replace(/\/$/, '')
    .replace(/\/index(\.html?)?$/, '');
  return p.startsWith('/') ? p : '/' + p;
}

/** The stored path of an absolute http(s) URL; '' when it is not one. */
export function storedPath(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return '';
  let p = norm(u.pathname);
  const route = /^#!?(\/[^?]*)/.exec(u.hash);
  if (route) {
    const r = norm(route[1]!);
    if (r !== '/') p += '#' + r;
  }
  return p;
}
