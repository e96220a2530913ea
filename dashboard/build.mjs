// Builds the dashboard with esbuild into dashboard/dist/ (the server embeds every file and serves
// dashboard/dist/<rel> at /app/<rel>):
//   index.html                    the shell, referencing the hashed bundles by absolute /app/ paths
//   assets/app-[hash].js, .css    the app (Preact + htm + uPlot), content-hashed
//   assets/chunk-[hash].js        lazily loaded parts of the app (the snapshot sanitizer)
//   bookmarklet.js                the bookmarklet overlay (IIFE; fixed name, served at /bookmarklet.js)
//   overlay-frame.html            the bookmarklet's frame on the server (issue 14): reads the API for
//   overlay-frame.js              the overlay; the server lets any site frame this page. Fixed names;
//                                 the page loads the script as overlay-frame.js?v=<content hash>
//   player.html                   the replay player frame (issue 10), served under its own sandboxing
//   player-frame.js, .css         CSP: @rrweb/replay and our glue, loaded as ?v=<content hash>
//   build.json                    sizes (bytes and gzip) of each file, for the size report
// Prints a size report and exits non-zero above the gzip budgets.
// Usage: node dashboard/build.mjs [--quiet]
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
// ours, gzip. app: what the first screen loads (the entry, the chunks it imports statically, the
// CSS); uPlot is 22 KB of it. screen: what opening a lazily loaded screen adds (its chunk and the
// chunks only it imports), e.g. the heatmaps viewer or the snapshot sanitizer.
const BUDGET = { app: 64 * 1024, screen: 20 * 1024, bookmarklet: 12 * 1024, overlayFrame: 4 * 1024, player: 72 * 1024 };
const TARGET = ['es2020'];

// htm templates keep their source indentation in the bundle (a minifier cannot touch template
// literals). htm drops whitespace that contains a newline, so "\n" + indentation means the same as
// "\n": squeezing it in our own sources shrinks the bundle by a quarter without changing output.
const squeezeTemplates = {
  name: 'squeeze-templates',
  setup(b) {
    b.onLoad({ filter: /dashboard\/src\/.*\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replace(/\n[ \t]+/g, '\n'), loader: 'ts' };
    });
  },
};

const common = {
  plugins: [squeezeTemplates],
  bundle: true,
  minify: true,
  target: TARGET,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
  tsconfig: join(here, 'tsconfig.json'),
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const app = await build({
  ...common,
  entryPoints: { app: join(here, 'src/main.ts') },
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  format: 'esm',
  splitting: true,
  metafile: true,
  write: true,
});
// (a dynamically imported module is an entry point of its own in the metafile)
const outputs = Object.entries(app.metafile.outputs).map(([p, o]) => ({ rel: relative(dist, p), main: /src[\\/]main\.ts$/.test(o.entryPoint ?? '') }));
const js = outputs.find((o) => o.main && o.rel.endsWith('.js')).rel;
const css = outputs.find((o) => o.rel.endsWith('.css')).rel;
// Which outputs the first screen loads: the entry and, transitively, its static imports.
const meta = Object.fromEntries(Object.entries(app.metafile.outputs).map(([p, o]) => [relative(dist, p), o]));
const staticClosure = (start) => {
  const seen = new Set([start]);
  for (const f of seen) for (const i of meta[f].imports ?? []) if (i.kind === 'import-statement') seen.add(relative(dist, i.path));
  return seen;
};
const initial = staticClosure(js);
// Every lazily loaded chunk, with what loading it adds beyond the first screen.
const lazy = outputs.filter((o) => o.rel.endsWith('.js') && !initial.has(o.rel)).map((o) => o.rel);

await build({
  ...common,
  entryPoints: [join(here, 'src/bookmarklet/index.ts')],
  outfile: join(dist, 'bookmarklet.js'),
  format: 'iife',
  write: true,
});

await build({
  ...common,
  entryPoints: [join(here, 'src/overlay-frame/index.ts')],
  outfile: join(dist, 'overlay-frame.js'),
  format: 'iife',
  write: true,
});
const frameHash = createHash('sha256').update(readFileSync(join(dist, 'overlay-frame.js'))).digest('hex').slice(0, 12);
// No inline script or style: the server serves this page under default-src 'self'.
writeFileSync(
  join(dist, 'overlay-frame.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>Tapistry overlay</title>
<script src="/app/overlay-frame.js?v=${frameHash}"></script>
</head>
<body></body>
</html>
`,
);

await build({
  ...common,
  entryPoints: [join(here, 'src/player-frame/index.ts')],
  outfile: join(dist, 'player-frame.js'),
  format: 'iife',
  write: true,
});
const playerHash = (f) => createHash('sha256').update(readFileSync(join(dist, f))).digest('hex').slice(0, 12);
// No inline script: the server serves this page under a CSP that allows only our own files.
writeFileSync(
  join(dist, 'player.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>Tapistry replay</title>
<link rel="stylesheet" href="/app/player-frame.css?v=${playerHash('player-frame.css')}">
<script src="/app/player-frame.js?v=${playerHash('player-frame.js')}" defer></script>
</head>
<body><div id="player"></div></body>
</html>
`,
);

const favicon =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Cdefs%3E%3CradialGradient id='g' cx='.35' cy='.35'%3E%3Cstop offset='0' stop-color='%23fde047'/%3E%3Cstop offset='.45' stop-color='%23f97316'/%3E%3Cstop offset='.7' stop-color='%23dc2626'/%3E%3Cstop offset='1' stop-color='%234f46e5'/%3E%3C/radialGradient%3E%3C/defs%3E%3Crect width='32' height='32' rx='8' fill='url(%23g)'/%3E%3C/svg%3E";
const index = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="color-scheme" content="light">
<title>Tapistry</title>
<link rel="icon" href="${favicon}">
<link rel="stylesheet" href="/app/${css}">
<script type="module" src="/app/${js}"></script>
</head>
<body>
<div id="app"><noscript>The Tapistry dashboard needs JavaScript.</noscript></div>
</body>
</html>
`;
writeFileSync(join(dist, 'index.html'), index);

// size report
const files = [];
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else files.push(p);
  }
};
walk(dist);
const report = {};
for (const f of files.sort()) {
  const buf = readFileSync(f);
  report[relative(dist, f)] = { bytes: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
}
writeFileSync(join(dist, 'build.json'), JSON.stringify(report, null, 2) + '\n');
const kb = (n) => (n / 1024).toFixed(1) + ' KB';
const appGzip = [...initial].reduce((a, f) => a + report[f].gzip, 0) + report[css].gzip;
const screenGzip = (c) => [...staticClosure(c)].filter((f) => !initial.has(f)).reduce((a, f) => a + report[f].gzip, 0);
const bmGzip = report['bookmarklet.js'].gzip;
const frameGzip = report['overlay-frame.js'].gzip + report['overlay-frame.html'].gzip;
const playerGzip = report['player-frame.js'].gzip + report['player-frame.css'].gzip + report['player.html'].gzip;
if (!process.argv.includes('--quiet')) {
  console.log('dashboard size report (gzip):');
  for (const [f, r] of Object.entries(report)) if (f !== 'build.json') console.log(`  ${f.padEnd(34)} ${kb(r.bytes).padStart(9)}  ${kb(r.gzip).padStart(8)} gzip`);
  console.log(`  app, first screen (js+css)         ${kb(appGzip)} gzip (budget ${kb(BUDGET.app)})`);
  for (const c of lazy) console.log(`  lazy ${c.padEnd(29)} +${kb(screenGzip(c))} gzip when opened (budget ${kb(BUDGET.screen)})`);
  console.log(`  overlay frame (html+js)            ${kb(frameGzip)} gzip (budget ${kb(BUDGET.overlayFrame)})`);
  console.log(`  player frame (html+js+css)         ${kb(playerGzip)} gzip (budget ${kb(BUDGET.player)})`);
}
if (playerGzip > BUDGET.player) {
  console.error(`dashboard build: the player frame is ${kb(playerGzip)} gzip, over the ${kb(BUDGET.player)} budget`);
  failed = true;
}
let failed = false;
if (appGzip > BUDGET.app) {
  console.error(`dashboard build: app is ${kb(appGzip)} gzip, over the ${kb(BUDGET.app)} budget`);
  failed = true;
}
for (const c of lazy) {
  if (screenGzip(c) > BUDGET.screen) {
    console.error(`dashboard build: ${c} adds ${kb(screenGzip(c))} gzip, over the ${kb(BUDGET.screen)} budget of a lazy screen`);
    failed = true;
  }
}
if (frameGzip > BUDGET.overlayFrame) {
  console.error(`dashboard build: the overlay frame is ${kb(frameGzip)} gzip, over the ${kb(BUDGET.overlayFrame)} budget`);
  failed = true;
}
if (bmGzip > BUDGET.bookmarklet) {
  console.error(`dashboard build: bookmarklet.js is ${kb(bmGzip)} gzip, over the ${kb(BUDGET.bookmarklet)} budget`);
  failed = true;
}
process.exit(failed ? 1 : 0);
