// Builds the browser SDK with esbuild:
//   dist/tapistry.js    IIFE for every browser (served as /v1.js)
//   dist/tapistry.mjs   ESM (served as /v1.mjs)
//   dist/snapshot.js    IIFE chunk, the heatmap snapshot capture, loaded by the core only when a
//                       snapshot is to be sent (served as /v1/snapshot.js)
//   dist/frame.js       IIFE chunk, the dashboard's live-overlay handshake, loaded by the core only
//                       when the page is framed (served as /v1/frame.js)
//   dist/replay.js      IIFE chunk, the session recorder, loaded by the core only for recorded
//                       sessions (served as /v1/replay.js)
//   dist/test/internals.min.js  test-only IIFE exposing the internals, minified like the release
//                       builds (a subfolder, so the server does not embed it)
//   dist/manifest.json  sizes, gzip sizes and sha384 SRI hashes, plus the snippet template
// Checks that the output is ES2017 (iOS Safari 14, Android Chrome 90+) by parsing it with acorn at
// ecmaVersion 2017, prints a size report, and exits non-zero above the 8 KB gzip budget of the core
// (and the budgets of the lazy chunks: 12 KB snapshot, 1 KB frame, 20 KB replay).
// Usage: node sdk/build.mjs [--quiet]
import { build } from 'esbuild';
import { parse } from 'acorn';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const BUDGET_GZIP = 8 * 1024; // ours; the spec allows 15 KB
const BUDGET_SNAPSHOT_GZIP = 12 * 1024; // ours: loaded once per path a day, in idle time
const BUDGET_FRAME_GZIP = 1024; // ours: loaded on every framed page view
const BUDGET_REPLAY_GZIP = 20 * 1024; // issue 10: the recorder chunk, loaded only for recorded sessions
const TARGET = ['es2017', 'safari14', 'chrome90'];

/** Shared options: also used by sdk/test/load.ts for the unminified source builds. */
export const common = {
  bundle: true,
  target: TARGET,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
  tsconfig: join(here, 'tsconfig.json'),
};

const version = /VERSION = '([^']+)'/.exec(readFileSync(join(here, 'src/core/transport.ts'), 'utf8'))[1];

async function main() {
  mkdirSync(join(dist, 'test'), { recursive: true });
  const outputs = [
    { file: 'tapistry.js', entry: 'src/index.ts', format: 'iife', sourceType: 'script', served: '/v1.js' },
    { file: 'tapistry.mjs', entry: 'src/index-esm.ts', format: 'esm', sourceType: 'module', served: '/v1.mjs' },
    { file: 'snapshot.js', entry: 'src/snapshot/index.ts', format: 'iife', sourceType: 'script', served: '/v1/snapshot.js' },
    { file: 'frame.js', entry: 'src/frame/index.ts', format: 'iife', sourceType: 'script', served: '/v1/frame.js' },
    { file: 'replay.js', entry: 'src/replay/index.ts', format: 'iife', sourceType: 'script', served: '/v1/replay.js' },
    { file: 'test/internals.min.js', entry: 'src/internals.ts', format: 'iife', sourceType: 'script', globalName: '__tapInternals' },
  ];
  const manifest = { version, budget_gzip: BUDGET_GZIP, files: {} };
  let failed = false;
  for (const o of outputs) {
    const r = await build({
      ...common,
      entryPoints: [join(here, o.entry)],
      format: o.format,
      globalName: o.globalName,
      minify: true,
      write: false,
      supported: o.format === 'esm' ? { 'import-meta': true } : undefined,
    });
    const code = r.outputFiles[0].text;
    // ES2017 check: the ESM build's one newer token is import.meta, which every browser that runs
    // module scripts supports; everything else must parse as ES2017.
    try {
      parse(o.format === 'esm' ? code.replace(/import\.meta\.url/g, '""') : code, { ecmaVersion: 2017, sourceType: o.sourceType });
    } catch (e) {
      console.error(`sdk build: ${o.file} is not ES2017: ${e.message}`);
      failed = true;
    }
    writeFileSync(join(dist, o.file), code);
    if (!o.served) continue;
    const bytes = Buffer.byteLength(code);
    const gzip = gzipSync(code, { level: 9 }).length;
    const integrity = 'sha384-' + createHash('sha384').update(code).digest('base64');
    manifest.files[o.file] = { path: o.served, bytes, gzip, integrity };
  }
  manifest.snippet =
    "<script>(function(w,d,s,u,k){w.tapistry=w.tapistry||function(){(w.tapistry.q=w.tapistry.q||[]).push(arguments)};" +
    "var js=d.createElement(s);js.async=1;js.src=u;js.dataset.project=k;js.crossOrigin='anonymous';js.integrity='{{INTEGRITY}}';" +
    "d.head.appendChild(js)})(window,document,'script','{{ORIGIN}}/v1.js','{{PROJECT_KEY}}');</script>";
  writeFileSync(join(dist, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

  const js = manifest.files['tapistry.js'];
  const mjs = manifest.files['tapistry.mjs'];
  const snap = manifest.files['snapshot.js'];
  const frame = manifest.files['frame.js'];
  const replay = manifest.files['replay.js'];
  const kb = (n) => (n / 1024).toFixed(2) + ' KB';
  const over = js.gzip > BUDGET_GZIP || mjs.gzip > BUDGET_GZIP || snap.gzip > BUDGET_SNAPSHOT_GZIP || frame.gzip > BUDGET_FRAME_GZIP ||
    replay.gzip > BUDGET_REPLAY_GZIP;
  if (!process.argv.includes('--quiet') || over) {
    console.log('sdk size report (budget ' + kb(BUDGET_GZIP) + ' gzip; spec 15 KB):');
    console.log(`  tapistry.js   ${kb(js.bytes).padStart(9)} min  ${kb(js.gzip).padStart(8)} gzip  ${js.integrity}`);
    console.log(`  tapistry.mjs  ${kb(mjs.bytes).padStart(9)} min  ${kb(mjs.gzip).padStart(8)} gzip  ${mjs.integrity}`);
    console.log(`  snapshot.js   ${kb(snap.bytes).padStart(9)} min  ${kb(snap.gzip).padStart(8)} gzip  (lazy; budget ${kb(BUDGET_SNAPSHOT_GZIP)})`);
    console.log(`  frame.js      ${kb(frame.bytes).padStart(9)} min  ${kb(frame.gzip).padStart(8)} gzip  (lazy, framed pages only; budget ${kb(BUDGET_FRAME_GZIP)})`);
    console.log(`  replay.js     ${kb(replay.bytes).padStart(9)} min  ${kb(replay.gzip).padStart(8)} gzip  (lazy, recorded sessions only; budget ${kb(BUDGET_REPLAY_GZIP)})`);
    console.log(`  tapistry.js   ${js.gzip} B gzip of ${BUDGET_GZIP} B; tapistry.mjs ${mjs.gzip} B`);
  }
  // the core's budget holds for both of its builds: the IIFE (v1.js) and the ESM (v1.mjs)
  for (const [name, f] of [['tapistry.js', js], ['tapistry.mjs', mjs]]) {
    if (f.gzip > BUDGET_GZIP) {
      console.error(`sdk build: ${name} is ${f.gzip} bytes gzip, over the ${BUDGET_GZIP}-byte budget`);
      failed = true;
    }
  }
  if (snap.gzip > BUDGET_SNAPSHOT_GZIP) {
    console.error(`sdk build: snapshot.js is ${snap.gzip} bytes gzip, over the ${BUDGET_SNAPSHOT_GZIP}-byte budget`);
    failed = true;
  }
  if (replay.gzip > BUDGET_REPLAY_GZIP) {
    console.error(`sdk build: replay.js is ${replay.gzip} bytes gzip, over the ${BUDGET_REPLAY_GZIP}-byte budget`);
    failed = true;
  }
  if (frame.gzip > BUDGET_FRAME_GZIP) {
    console.error(`sdk build: frame.js is ${frame.gzip} bytes gzip, over the ${BUDGET_FRAME_GZIP}-byte budget`);
    failed = true;
  }
  if (failed) process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
