// Builds the e2e sample sites from the locked npm packages into e2e/.cache:
//   react-router/app.js  esbuild bundle of sites/react-router/main.jsx (about a second)
//   next/                `next build` static export of sites/next (slow on 2 cores: cached, and
//                        rebuilt only when the sources or the Next.js version change)
// Usage: node e2e/build-sites.mjs
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cache = join(here, '.cache');
const require = createRequire(import.meta.url);

function filesUnder(dir, skip) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (skip.includes(name)) continue;
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, skip));
    else out.push(p);
  }
  return out.sort();
}

export async function buildReactRouter() {
  await build({
    entryPoints: [join(here, 'sites/react-router/main.jsx')],
    outfile: join(cache, 'react-router/app.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    jsx: 'automatic',
    target: 'es2017',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
}

export function buildNext() {
  const src = join(here, 'sites/next');
  const nextPkg = JSON.parse(readFileSync(require.resolve('next/package.json'), 'utf8'));
  const h = createHash('sha256').update('next@' + nextPkg.version);
  for (const f of filesUnder(src, ['.next', 'out', 'node_modules'])) h.update(relative(src, f)).update(readFileSync(f));
  const stamp = h.digest('hex');
  const dest = join(cache, 'next');
  if (existsSync(join(dest, '.stamp')) && readFileSync(join(dest, '.stamp'), 'utf8') === stamp) return false;
  const bin = join(dirname(require.resolve('next/package.json')), 'dist/bin/next');
  execFileSync(process.execPath, [bin, 'build', src], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  cpSync(join(src, 'out'), dest, { recursive: true });
  writeFileSync(join(dest, '.stamp'), stamp);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  await buildReactRouter();
  const rebuilt = buildNext();
  console.log(`e2e sites built in ${((Date.now() - t0) / 1000).toFixed(1)} s${rebuilt ? '' : ' (Next.js export cached)'}`);
}
