// Which address the heatmap's live frame loads, and the bookmarklet panel links to (issue 14).
//
// Only the project's allowed origins are trusted for that: a snapshot's url is data a visitor's
// browser sent (and POST /s once took it with no Origin at all), so it may name any host. The
// snapshot's origin is used only when it is one of the allowed origins (a site with several, e.g.
// www and a shop); otherwise the first allowed origin. The path comes from the dashboard's state
// and is appended to the chosen origin as text, then checked to stay on it ("//evil.example/x" or
// "/\evil.example" must not become another host).
//
// Allowed-origin entries that are not an exact http(s) origin are skipped: a wildcard
// ("https://*.example.com") names no single site to load.

export interface LiveTarget {
  /** The page to frame or open: an allowed origin + the path. */
  url: string;
  /** Its origin, one of the project's allowed origins. */
  origin: string;
  /**
   * The live frame's sandbox. The page's own scripts must run (its snippet answers the handshake);
   * allow-same-origin keeps its cookies and storage working — except on the dashboard's own origin
   * (the /demo site), where scripts plus same-origin would reach into the dashboard.
   */
  sandbox: string;
}

export const SANDBOX_SITE = 'allow-scripts allow-same-origin allow-forms';
export const SANDBOX_SELF = 'allow-scripts allow-forms';

/** The canonical origin of an allowed-origins entry, or '' when it is not an exact http(s) origin. */
export function exactOrigin(entry: string): string {
  const e = entry.trim().replace(/\/+$/, '');
  if (!e || e.includes('*')) return '';
  let u: URL;
  try {
    u = new URL(e);
  } catch {
    return '';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return '';
  if (u.username || u.password || u.search || u.hash || u.pathname !== '/') return '';
  // "https://Example.COM:443" and "https://example.com" are the same origin
  return u.origin;
}

/** The usable (exact http(s)) origins of a project, in its order, without duplicates. */
export function usableOrigins(allowed: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of allowed) {
    const o = exactOrigin(a);
    if (o && !out.includes(o)) out.push(o);
  }
  return out;
}

/**
 * The live page for `path`: on the snapshot's origin when that is allowed, else on the first
 * allowed origin; null when the project has no usable allowed origin. A path rule's name loads the
 * snapshot's page (one it stands for), else the home page. `self` is the dashboard's
 * origin (location.origin).
 */
export function liveTarget(allowed: readonly string[], path: string, snapshotUrl: string | undefined, self: string): LiveTarget | null {
  const origins = usableOrigins(allowed);
  if (!origins.length) return null;
  let origin = origins[0]!;
  if (snapshotUrl) {
    try {
      const so = new URL(snapshotUrl).origin;
      if (origins.includes(so)) origin = so;
    } catch {
      // not a URL: the first allowed origin
    }
  }
  let url = origin + '/';
  // A path named by a path rule ("/product/:id", "/blog/*", docs/settings.md) is no address:
  // the snapshot's page is one of the pages it stands for.
  const ruled = /\/(:[a-z0-9_-]+|\*)(\/|#|$)/.test(path);
  if (ruled && snapshotUrl) {
    try {
      const su = new URL(snapshotUrl);
      if (su.origin === origin) return { url: su.href, origin, sandbox: origin === self ? SANDBOX_SELF : SANDBOX_SITE };
    } catch {
      // not a URL: the site's home page below
    }
  }
  if (path.startsWith('/') && !ruled) {
    try {
      const u = new URL(origin + path);
      if (u.origin === origin) url = u.href;
    } catch {
      // an unparsable path: the site's home page
    }
  }
  return { url, origin, sandbox: origin === self ? SANDBOX_SELF : SANDBOX_SITE };
}

/**
 * The origins live mode may load for a project. The Demo project accepts events from any site (it
 * has no allowed origins), but its pages are the /demo site this server serves itself, on the
 * dashboard's own origin.
 */
export function projectOrigins(project: { allowed_origins: readonly string[]; demo?: boolean }, self: string): string[] {
  const own = usableOrigins(project.allowed_origins);
  return project.demo && !own.length ? [self] : [...project.allowed_origins];
}

/**
 * The server command that adds a site to the project's allowed origins. `--origin` replaces the
 * whole list, so the entries the project has (wildcards included) are repeated before the new one.
 * (Written out whole: e2e/dashboard-commands.test.ts runs every command the dashboard prints.)
 */
export function addOriginCommand(projectId: string, existing: readonly string[]): string {
  const keep = existing
    .filter((o) => o.trim() && o !== '*')
    .map((o) => ' --origin ' + o)
    .join('');
  return `tapistry project settings --data DIR --project ${projectId} --origin https://www.your-site.example`.replace(' --origin', keep + ' --origin');
}
