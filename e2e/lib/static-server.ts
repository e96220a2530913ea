// The customers' sites for the e2e tests: a small node static server (not a stand-in for Tapistry)
// serving e2e/sites/static at /static/, the React Router build at /rr/ (history fallback to its
// index.html) and the Next.js export at /next/. HTML gets the snippet with the real server's
// origin, project key, SRI hash and a per-response nonce; /static/csp*.html are served with a
// strict nonce-based Content-Security-Policy, and /static/deny/<file> is /static/<file> sent with
// `X-Frame-Options: DENY` (a site that forbids framing, for the dashboard's live mode).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';

const SITES = join(__dirname, '..', 'sites');
const CACHE = join(__dirname, '..', '.cache');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

export interface SiteConfig {
  tapistry: string;
  key: string;
  sri: string;
}

function resolveFile(root: string, rel: string): string | undefined {
  const base = normalize(join(root, rel));
  if (!base.startsWith(root)) return undefined;
  for (const p of [base, base + '.html', join(base, 'index.html')]) {
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

export function startSites(port: number, cfg: () => SiteConfig): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url || '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    let file: string | undefined;
    const deny = path.startsWith('/static/deny/');
    if (deny) file = resolveFile(join(SITES, 'static'), path.slice(13));
    else if (path.startsWith('/static/')) file = resolveFile(join(SITES, 'static'), path.slice(8));
    else if (path.startsWith('/rr/')) {
      file = path === '/rr/app.js' ? join(CACHE, 'react-router/app.js') : join(SITES, 'react-router/index.html');
    } else if (path === '/next' || path.startsWith('/next/')) file = resolveFile(join(CACHE, 'next'), path.slice(5) || '/');
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const type = TYPES[extname(file)] || 'application/octet-stream';
    const headers: Record<string, string> = { 'content-type': type, 'cache-control': 'no-store' };
    if (deny) headers['x-frame-options'] = 'DENY';
    let body: Buffer | string = readFileSync(file);
    if (type.startsWith('text/html')) {
      const c = cfg();
      const nonce = randomBytes(12).toString('base64');
      const badSri = path.endsWith('csp-bad-sri.html');
      const snippet = readFileSync(join(SITES, 'snippet.html'), 'utf8');
      body = body
        .toString('utf8')
        .replace('<!--SNIPPET-->', snippet)
        .replace(/\{\{ORIGIN\}\}/g, c.tapistry)
        .replace(/\{\{KEY\}\}/g, c.key)
        .replace(/\{\{SRI\}\}/g, badSri ? 'sha384-' + Buffer.alloc(48).toString('base64') : c.sri)
        .replace(/\{\{NONCE\}\}/g, nonce);
      if (path.startsWith('/static/csp')) {
        headers['content-security-policy'] =
          `default-src 'none'; script-src 'nonce-${nonce}' 'strict-dynamic'; connect-src ${c.tapistry}; ` +
          `style-src 'nonce-${nonce}'; base-uri 'none'; object-src 'none'; form-action 'none'`;
      }
    }
    res.writeHead(200, headers);
    res.end(body);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
