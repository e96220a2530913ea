// bench/compare.mjs — the same data set and the same questions on tapistry, ClickHouse and DuckDB.
// Prints figures; asserts nothing. Run through bench/compare (docs/performance.md).
//
// Steps: generate the data set once (cached under bench/out/data-<N>), load it into each engine
// (timing events/s and measuring bytes on disk per event), then time the overview queries warm,
// `--runs` times each, print p50/p95, and check that the three engines return the same numbers.
//
// Engines:
//   tapistry    `tapistry project create` + `tapistry import` (under /usr/bin/time -v), then
//               `tapistry serve` and GET /api/overview with the read token over keep-alive HTTP.
//   ClickHouse  a private clickhouse-server on 127.0.0.1 (non-default ports, data under
//               bench/out/clickhouse), schema bench/ch/schema.sql, loaded with clickhouse-client;
//               queries over keep-alive HTTP.
//   DuckDB      in-process (@duckdb/node-api), a database file under bench/out, loaded with
//               read_csv; queries through the same connection (no network hop).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);

const USAGE = `usage: bench/compare [options]
  --events N        data set size: 1M, 10M (default 10M)
  --seed S          generator seed (default 42)
  --runs N          timed runs per query (default 20), after 2 warm-up runs
  --engines LIST    comma list of tapistry,clickhouse,duckdb (default: all three)
  --reuse           keep already loaded ClickHouse/DuckDB/tapistry data (skip the loads)
  --more            also time the later queries: heatmap tiles, scroll histogram, top elements,
                    referrers (ClickHouse and DuckDB; tapistry once it serves them)
  --keep-clickhouse leave the ClickHouse server running at the end
  --tapistry PATH   tapistry binary (default build/tapistry)
  --gen PATH        generator binary (default build-bench/gen, built if missing)
  --ch-http PORT    ClickHouse HTTP port (default 28123; native port = +877, i.e. 29000)
  --port PORT       tapistry listen port (default 28080)`;

// ---------- options ----------

function parseCount(s) {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s);
  if (!m) throw new Error(`bad count ${s}`);
  return Math.round(Number(m[1]) * ({ k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[m[2]] ?? 1));
}
function label(n) {
  return n % 1e6 === 0 ? `${n / 1e6}m` : n % 1e3 === 0 ? `${n / 1e3}k` : String(n);
}

const opt = {
  events: 10_000_000, seed: 42, runs: 20, engines: ['tapistry', 'clickhouse', 'duckdb'],
  reuse: false, more: false, keepClickhouse: false,
  tapistry: path.join(ROOT, 'build/tapistry'), gen: path.join(ROOT, 'build-bench/gen'),
  chHttp: 28123, port: 28080,
};
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const v = () => { if (i + 1 >= a.length) throw new Error(`missing value for ${a[i]}`); return a[++i]; };
    switch (a[i]) {
      case '--events': opt.events = parseCount(v()); break;
      case '--seed': opt.seed = Number(v()); break;
      case '--runs': opt.runs = Number(v()); break;
      case '--engines': opt.engines = v().split(',').filter(Boolean); break;
      case '--reuse': opt.reuse = true; break;
      case '--more': opt.more = true; break;
      case '--keep-clickhouse': opt.keepClickhouse = true; break;
      case '--tapistry': opt.tapistry = path.resolve(v()); break;
      case '--gen': opt.gen = path.resolve(v()); break;
      case '--ch-http': opt.chHttp = Number(v()); break;
      case '--port': opt.port = Number(v()); break;
      case '-h': case '--help': console.log(USAGE); process.exit(0);
      default: console.error(`unknown option ${a[i]}\n${USAGE}`); process.exit(2);
    }
  }
  for (const e of opt.engines) {
    if (!['tapistry', 'clickhouse', 'duckdb'].includes(e)) throw new Error(`unknown engine ${e}`);
  }
}
const OUT = path.join(BENCH, 'out');
const TAG = `${label(opt.events)}${opt.seed === 42 ? '' : `-s${opt.seed}`}`;
const DATA = path.join(OUT, `data-${TAG}`);
const CH_DIR = path.join(OUT, 'clickhouse');
const CH_TCP = opt.chHttp + 877;
const DUCK_FILE = path.join(OUT, `duckdb-${TAG}.duckdb`);
const TAP_DIR = path.join(OUT, `tapistry-${TAG}`);

// ---------- small helpers ----------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, d = 0) => Number(n).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
function section(title) {
  console.log(`\n== ${title}   [load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}]`);
}
function duBytes(p) {
  return Number(execFileSync('du', ['-sb', p], { encoding: 'utf8' }).split('\t')[0]);
}
function percentile(sorted, p) {
  // Nearest-rank: p95 of 20 samples is the 19th.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), min: s[0], n: s.length };
}
function readProc(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    return { rss, hwm };
  } catch { return { rss: 0, hwm: 0 }; }
}
const MB = (b) => `${fmt(b / 1048576, 1)} MiB`;
function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}
async function waitPort(port, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await portOpen(port)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${ms} ms`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
// A keep-alive socket the server closed while idle (e.g. during a long load) fails on reuse
// with ECONNRESET / "socket hang up"; such a request never reached the server, so retry it once.
function httpRequest(port, method, urlPath, body, headers = {}, retried = false) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(600_000, () => req.destroy(new Error(`timeout ${method} ${urlPath}`)));
    req.on('error', (e) => {
      if (req.reusedSocket && !retried && e.code === 'ECONNRESET') {
        httpRequest(port, method, urlPath, body, headers, true).then(resolve, reject);
      } else {
        reject(e);
      }
    });
    if (body) req.end(body); else req.end();
  });
}

// Runs fn `warm` + `runs` times; returns the timed samples (ms) and the last answer.
async function timeIt(fn, runs = opt.runs, warm = 2) {
  let answer;
  for (let i = 0; i < warm; i++) answer = await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    answer = await fn();
    samples.push(performance.now() - t0);
  }
  return { ...stats(samples), answer };
}

// ---------- the data set ----------

function ensureGen() {
  if (fs.existsSync(opt.gen)) return;
  section('building bench/gen');
  const b = path.join(ROOT, 'build-bench');
  execFileSync('cmake', ['-S', BENCH, '-B', b, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'inherit' });
  execFileSync('cmake', ['--build', b, '-j2', '--target', 'gen'], { stdio: 'inherit' });
}

function ensureData() {
  const manifestPath = path.join(DATA, 'manifest.json');
  if (fs.existsSync(manifestPath)) {
    const m = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    if (m.events === opt.events && m.seed === opt.seed && m.tsv) {
      section(`data set: cached ${path.relative(ROOT, DATA)}`);
      return m;
    }
  }
  ensureGen();
  section(`data set: generating ${fmt(opt.events)} events into ${path.relative(ROOT, DATA)}`);
  execFileSync(opt.gen, ['--out', DATA, '--events', String(opt.events), '--seed', String(opt.seed), '--tsv'],
    { stdio: 'inherit' });
  return JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
}

// ---------- queries (ClickHouse 18.16+ and DuckDB dialects) ----------
// The overview numbers are defined in server/include/tapistry/event_store.h and DESIGN §5:
// pageviews = page_view events; sessions / visitors = distinct session_id / anonymous_id over all
// events of the day (or range); top pages = page_view events per path and distinct sessions with
// a page_view of that path, pageviews desc then path asc, 10 rows.
// On 18.16 the event_date condition is what prunes partitions and primary-key ranges; the ts
// condition alone would scan every partition.

function overviewSql(project, from, to) {
  const fromMs = Date.parse(`${from}T00:00:00Z`), toMs = Date.parse(`${to}T00:00:00Z`) + 86400000;
  const chWhere = `project_id = '${project}' AND event_date >= toDate('${from}') AND event_date <= toDate('${to}')` +
    ` AND ts >= ${fromMs} AND ts < ${toMs}`;
  const dkWhere = `project_id = '${project}' AND event_date BETWEEN DATE '${from}' AND DATE '${to}'` +
    ` AND ts >= ${fromMs} AND ts < ${toMs}`;
  return {
    series: {
      clickhouse: `SELECT toString(event_date) AS date, countIf(type = 'page_view') AS pageviews,
          uniqExact(session_id) AS sessions, uniqExact(anonymous_id) AS visitors
        FROM events WHERE ${chWhere} GROUP BY event_date ORDER BY event_date`,
      duckdb: `SELECT strftime(event_date, '%Y-%m-%d') AS date, count(*) FILTER (WHERE type = 'page_view') AS pageviews,
          count(DISTINCT session_id) AS sessions, count(DISTINCT anonymous_id) AS visitors
        FROM events WHERE ${dkWhere} GROUP BY event_date ORDER BY event_date`,
    },
    totals: {
      clickhouse: `SELECT countIf(type = 'page_view') AS pageviews, uniqExact(session_id) AS sessions,
          uniqExact(anonymous_id) AS visitors FROM events WHERE ${chWhere}`,
      duckdb: `SELECT count(*) FILTER (WHERE type = 'page_view') AS pageviews, count(DISTINCT session_id) AS sessions,
          count(DISTINCT anonymous_id) AS visitors FROM events WHERE ${dkWhere}`,
    },
    top_pages: {
      clickhouse: `SELECT path, count() AS pageviews, uniqExact(session_id) AS sessions
        FROM events WHERE ${chWhere} AND type = 'page_view'
        GROUP BY path ORDER BY pageviews DESC, path ASC LIMIT 10`,
      duckdb: `SELECT path, count(*) AS pageviews, count(DISTINCT session_id) AS sessions
        FROM events WHERE ${dkWhere} AND type = 'page_view'
        GROUP BY path ORDER BY pageviews DESC, path ASC LIMIT 10`,
    },
  };
}

// Later queries (--more): what the heatmap, scroll, elements and referrers pages will ask.
function moreSql(project, from, to, pagePath) {
  const ch = `project_id = '${project}' AND event_date >= toDate('${from}') AND event_date <= toDate('${to}')`;
  const dk = `project_id = '${project}' AND event_date BETWEEN DATE '${from}' AND DATE '${to}'`;
  return {
    // 64x64 click tiles of one page (DESIGN §5: i = min(63, floor(x*64)), same for j).
    heatmap_tiles: {
      clickhouse: `SELECT least(63, toUInt8(floor(assumeNotNull(x) * 64))) AS i, least(63, toUInt8(floor(assumeNotNull(y) * 64))) AS j,
          count() AS clicks
        FROM events WHERE ${ch} AND type = 'click' AND path = '${pagePath}' AND isNotNull(x)
        GROUP BY i, j ORDER BY i, j`,
      duckdb: `SELECT least(63, floor(x * 64)::INTEGER) AS i, least(63, floor(y * 64)::INTEGER) AS j, count(*) AS clicks
        FROM events WHERE ${dk} AND type = 'click' AND path = '${pagePath}' AND x IS NOT NULL
        GROUP BY i, j ORDER BY i, j`,
    },
    // Page views per max depth reached; the scroll map is the reverse cumulative sum of this.
    scroll_histogram: {
      clickhouse: `SELECT assumeNotNull(depth_pct) AS depth, count() AS views
        FROM events WHERE ${ch} AND type = 'scroll' AND path = '${pagePath}' AND isNotNull(depth_pct)
        GROUP BY depth ORDER BY depth`,
      duckdb: `SELECT depth_pct AS depth, count(*) AS views
        FROM events WHERE ${dk} AND type = 'scroll' AND path = '${pagePath}' AND depth_pct IS NOT NULL
        GROUP BY depth ORDER BY depth`,
    },
    // Most clicked elements of one page with rage / dead click counts.
    top_elements: {
      clickhouse: `SELECT toString(selector_hash) AS selector_hash, count() AS clicks,
          countIf(bitAnd(flags, 1) != 0) AS rage, countIf(bitAnd(flags, 2) != 0) AS dead,
          uniqExact(session_id) AS sessions
        FROM events WHERE ${ch} AND type = 'click' AND path = '${pagePath}'
        GROUP BY selector_hash ORDER BY clicks DESC, selector_hash ASC LIMIT 20`,
      duckdb: `SELECT selector_hash::VARCHAR AS selector_hash, count(*) AS clicks,
          count(*) FILTER (WHERE flags & 1 != 0) AS rage, count(*) FILTER (WHERE flags & 2 != 0) AS dead,
          count(DISTINCT session_id) AS sessions
        FROM events WHERE ${dk} AND type = 'click' AND path = '${pagePath}'
        GROUP BY selector_hash ORDER BY clicks DESC, selector_hash ASC LIMIT 20`,
    },
    // External referrer hosts of page views (internal navigation excluded).
    referrers: {
      clickhouse: `SELECT extract(referrer, '^https?://([^/?#]+)') AS host, count() AS pageviews,
          uniqExact(session_id) AS sessions
        FROM events WHERE ${ch} AND type = 'page_view' AND referrer != ''
          AND extract(referrer, '^https?://([^/?#]+)') != extract(url, '^https?://([^/?#]+)')
        GROUP BY host ORDER BY sessions DESC, host ASC LIMIT 20`,
      duckdb: `SELECT regexp_extract(referrer, '^https?://([^/?#]+)', 1) AS host, count(*) AS pageviews,
          count(DISTINCT session_id) AS sessions
        FROM events WHERE ${dk} AND type = 'page_view' AND referrer != ''
          AND regexp_extract(referrer, '^https?://([^/?#]+)', 1) != regexp_extract(url, '^https?://([^/?#]+)', 1)
        GROUP BY host ORDER BY sessions DESC, host ASC LIMIT 20`,
    },
  };
}

// ---------- ClickHouse ----------

const clickhouse = {
  proc: null,
  async start() {
    for (const d of ['log', 'data', 'tmp', 'user_files', 'format_schemas']) fs.mkdirSync(path.join(CH_DIR, d), { recursive: true });
    const conf = fs.readFileSync(path.join(BENCH, 'ch/config.xml.in'), 'utf8')
      .replaceAll('@DIR@', CH_DIR).replaceAll('@HTTP_PORT@', String(opt.chHttp)).replaceAll('@TCP_PORT@', String(CH_TCP));
    fs.writeFileSync(path.join(CH_DIR, 'config.xml'), conf);
    fs.copyFileSync(path.join(BENCH, 'ch/users.xml'), path.join(CH_DIR, 'users.xml'));
    if (await portOpen(opt.chHttp)) throw new Error(`port ${opt.chHttp} is busy: another ClickHouse? (--ch-http PORT)`);
    const log = fs.openSync(path.join(CH_DIR, 'log/stdout.log'), 'a');
    this.proc = spawn('clickhouse-server', [`--config-file=${path.join(CH_DIR, 'config.xml')}`],
      { stdio: ['ignore', log, log], cwd: CH_DIR });
    fs.writeFileSync(path.join(CH_DIR, 'server.pid'), String(this.proc.pid));
    await waitPort(opt.chHttp, 30_000, 'clickhouse-server');
    if (this.proc.exitCode !== null) throw new Error('clickhouse-server exited; see bench/out/clickhouse/log');
    const v = await this.query('SELECT version()');
    console.log(`clickhouse-server ${v.trim()} pid ${this.proc.pid} http 127.0.0.1:${opt.chHttp} native ${CH_TCP} data ${path.relative(ROOT, CH_DIR)}`);
  },
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000)]);
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    fs.rmSync(path.join(CH_DIR, 'server.pid'), { force: true });
  },
  async query(sql) {
    const r = await httpRequest(opt.chHttp, 'POST', '/?database=default&output_format_json_quote_64bit_integers=0', sql);
    if (r.status !== 200) throw new Error(`ClickHouse ${r.status}: ${r.body.slice(0, 500)}\n${sql}`);
    return r.body;
  },
  async rows(sql) {
    const body = await this.query(`${sql}\nFORMAT JSON`);
    return JSON.parse(body).data;
  },
  async load(manifest) {
    const count = Number(await this.query('EXISTS TABLE events').catch(() => '0')) === 1
      ? Number(await this.query('SELECT count() FROM events')) : -1;
    if (opt.reuse && count === manifest.events) {
      console.log(`reusing the loaded table (${fmt(count)} rows)`);
      return null;
    }
    await this.query('DROP TABLE IF EXISTS events');
    await this.query(fs.readFileSync(path.join(BENCH, 'ch/schema.sql'), 'utf8'));
    const tsv = path.join(DATA, manifest.tsv);
    const t0 = performance.now();
    const fd = fs.openSync(tsv, 'r');
    const r = spawnSync('clickhouse-client', ['--host', '127.0.0.1', '--port', String(CH_TCP),
      '--query', 'INSERT INTO events FORMAT TabSeparated'], { stdio: [fd, 'inherit', 'inherit'] });
    fs.closeSync(fd);
    if (r.status !== 0) throw new Error('clickhouse-client INSERT failed');
    const seconds = (performance.now() - t0) / 1000;
    // Let background merges settle before measuring the footprint (bounded wait).
    for (let i = 0; i < 120 && Number(await this.query('SELECT count() FROM system.merges')) > 0; i++) await sleep(500);
    return { seconds, ...(await this.footprint()) };
  },
  async footprint() {
    const [parts, bytes, rows] = (await this.query(
      "SELECT count(), sum(bytes_on_disk), sum(rows) FROM system.parts WHERE database = 'default' AND table = 'events' AND active"))
      .trim().split('\t').map(Number);
    // du of the active parts only: parts replaced by a merge linger on disk for a few minutes.
    const paths = (await this.query(
      "SELECT path FROM system.parts WHERE database = 'default' AND table = 'events' AND active")).trim().split('\n');
    const du = paths.reduce((sum, p) => sum + duBytes(p), 0);
    return { parts, bytes, rows, du };
  },
};

// ---------- DuckDB ----------

const duckdb = {
  inst: null, conn: null,
  async open() {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    this.inst = await DuckDBInstance.create(DUCK_FILE, { threads: '2' });
    this.conn = await this.inst.connect();
  },
  async close() {
    if (this.conn) { this.conn.closeSync?.(); this.conn = null; }
    if (this.inst) { this.inst.closeSync?.(); this.inst = null; }
  },
  async rows(sql) {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJS().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) =>
      [k, typeof v === 'bigint' ? Number(v) : v])));
  },
  async load(manifest) {
    const exists = fs.existsSync(DUCK_FILE);
    if (opt.reuse && exists) {
      await this.open();
      const n = (await this.rows('SELECT count(*) AS n FROM events').catch(() => [{ n: -1 }]))[0].n;
      if (n === manifest.events) { console.log(`reusing ${path.relative(ROOT, DUCK_FILE)} (${fmt(n)} rows)`); return null; }
      await this.close();
    }
    fs.rmSync(DUCK_FILE, { force: true });
    fs.rmSync(`${DUCK_FILE}.wal`, { force: true });
    await this.open();
    // The same columns as bench/ch/schema.sql; ENUMs play the part of ClickHouse's Enum8.
    await this.conn.run(`CREATE TYPE event_type AS ENUM ('page_view', 'click', 'scroll', 'scroll_milestone', 'custom', 'mousemove')`);
    await this.conn.run(`CREATE TYPE device_class AS ENUM ('unknown', 'desktop', 'mobile', 'tablet')`);
    const columns = [
      ['project_id', 'VARCHAR'], ['event_date', 'DATE'], ['ts', 'UBIGINT'], ['event_id', 'UUID'],
      ['session_id', 'UUID'], ['anonymous_id', 'UUID'], ['user_id', 'VARCHAR'], ['type', 'event_type'],
      ['name', 'VARCHAR'], ['url', 'VARCHAR'], ['path', 'VARCHAR'], ['title', 'VARCHAR'], ['referrer', 'VARCHAR'],
      ['utm_source', 'VARCHAR'], ['utm_medium', 'VARCHAR'], ['utm_campaign', 'VARCHAR'], ['utm_term', 'VARCHAR'],
      ['utm_content', 'VARCHAR'], ['device_class', 'device_class'], ['country', 'VARCHAR'],
      ['viewport_w', 'USMALLINT'], ['viewport_h', 'USMALLINT'], ['x', 'FLOAT'], ['y', 'FLOAT'], ['ex', 'FLOAT'],
      ['ey', 'FLOAT'], ['selector_hash', 'UBIGINT'], ['selector', 'VARCHAR'], ['flags', 'UTINYINT'],
      ['depth_pct', 'UTINYINT'], ['bot_score', 'UTINYINT'], ['props', 'VARCHAR'],
    ];
    await this.conn.run(`CREATE TABLE events (${columns.map(([n, t]) => `${n} ${t}`).join(', ')})`);
    const enums = new Set(['event_type', 'device_class']);  // read as text, cast on insert
    const csvColumns = `{${columns.map(([n, t]) => `'${n}': '${enums.has(t) ? 'VARCHAR' : t}'`).join(', ')}}`;
    const tsv = path.join(DATA, manifest.tsv);
    const t0 = performance.now();
    await this.conn.run(`INSERT INTO events SELECT * FROM read_csv('${tsv}', delim = '\t', header = false,
      quote = '', escape = '', nullstr = '\\N', columns = ${csvColumns})`);
    await this.conn.run('CHECKPOINT');
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, bytes: fs.statSync(DUCK_FILE).size };
  },
};

// ---------- tapistry ----------

const tapistry = {
  serveProc: null, projects: null,
  run(args, { time = false } = {}) {
    const timeFile = path.join(OUT, 'tapistry-time.txt');
    const cmd = time ? '/usr/bin/time' : opt.tapistry;
    const argv = time ? ['-v', '-o', timeFile, opt.tapistry, ...args] : args;
    const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`tapistry ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
    let timing = null;
    if (time) {
      const t = fs.readFileSync(timeFile, 'utf8');
      const wall = /Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)/.exec(t);
      timing = {
        seconds: wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN,
        maxRss: Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(t)?.[1] ?? 0) * 1024,
        cpu: /Percent of CPU this job got: (\d+%)/.exec(t)?.[1] ?? '?',
      };
    }
    return { stdout: r.stdout, stderr: r.stderr, timing };
  },
  async load(manifest) {
    const projectsFile = path.join(TAP_DIR, 'bench-projects.json');
    if (opt.reuse && fs.existsSync(projectsFile)) {
      this.projects = JSON.parse(fs.readFileSync(projectsFile, 'utf8'));
      console.log(`reusing ${path.relative(ROOT, TAP_DIR)}`);
      return null;
    }
    fs.rmSync(TAP_DIR, { recursive: true, force: true });
    fs.mkdirSync(TAP_DIR, { recursive: true });
    this.projects = {};
    for (const p of manifest.projects) {
      const out = this.run(['project', 'create', '--data', TAP_DIR, '--name', p.name]).stdout;
      this.projects[p.name] = JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop());
    }
    const result = { seconds: 0, maxRss: 0, perProject: [] };
    for (const p of manifest.projects) {
      const { timing, stdout, stderr } = this.run(['import', '--data', TAP_DIR, '--project',
        this.projects[p.name].project_id, path.join(DATA, p.file)], { time: true });
      void stderr;  // progress lines
      const said = stdout.trim().split('\n').pop();
      console.log(`  import ${p.name}: ${fmt(p.events)} events in ${fmt(timing.seconds, 2)} s ` +
        `(${fmt(p.events / timing.seconds)} events/s, max RSS ${MB(timing.maxRss)}, CPU ${timing.cpu})  ${said}`);
      result.seconds += timing.seconds;
      result.maxRss = Math.max(result.maxRss, timing.maxRss);
      result.perProject.push({ name: p.name, ...timing });
    }
    fs.writeFileSync(projectsFile, JSON.stringify(this.projects, null, 2));
    result.bytes = duBytes(TAP_DIR);
    return result;
  },
  async serve() {
    if (await portOpen(opt.port)) throw new Error(`port ${opt.port} is busy (--port PORT)`);
    const log = fs.openSync(path.join(OUT, 'tapistry-serve.log'), 'w');
    const t0 = performance.now();
    this.serveProc = spawn(opt.tapistry, ['serve', '--listen', `127.0.0.1:${opt.port}`, '--data', TAP_DIR],
      { stdio: ['ignore', log, log] });
    await waitPort(opt.port, 120_000, 'tapistry serve');
    if (this.serveProc.exitCode !== null) throw new Error('tapistry serve exited; see bench/out/tapistry-serve.log');
    const startMs = performance.now() - t0;
    await sleep(1000);
    return { pid: this.serveProc.pid, startMs, ...readProc(this.serveProc.pid) };
  },
  async stop() {
    if (!this.serveProc || this.serveProc.exitCode !== null) return;
    const exited = new Promise((r) => this.serveProc.once('exit', r));
    this.serveProc.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (this.serveProc.exitCode === null && this.serveProc.signalCode === null) this.serveProc.kill('SIGKILL');
  },
  async overview(project, from, to) {
    const p = this.projects[project];
    const r = await httpRequest(opt.port, 'GET',
      `/api/overview?project_id=${encodeURIComponent(p.project_id)}&from=${from}&to=${to}`, null,
      { authorization: `Bearer ${p.read_token}` });
    if (r.status !== 200) throw new Error(`GET /api/overview: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body);
  },
};

// ---------- comparing answers ----------

function normalizeOverview(o) {
  const n = (v) => Number(v);
  return {
    totals: { pageviews: n(o.totals.pageviews), sessions: n(o.totals.sessions), visitors: n(o.totals.visitors) },
    series: o.series.map((d) => ({ date: String(d.date), pageviews: n(d.pageviews), sessions: n(d.sessions), visitors: n(d.visitors) })),
    top_pages: o.top_pages.map((t) => ({ path: t.path, pageviews: n(t.pageviews), sessions: n(t.sessions) })),
  };
}
function diff(a, b, where = '', out = []) {
  if (out.length >= 8) return out;
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    if (a !== b) out.push(`${where || '.'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    return out;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) diff(a[k], b[k], `${where}${Array.isArray(a) ? `[${k}]` : `.${k}`}`, out);
  return out;
}
function compareAnswers(title, answers) {
  const names = Object.keys(answers);
  if (names.length < 2) return;
  const [ref, ...rest] = names;
  for (const other of rest) {
    const d = diff(answers[ref], answers[other]);
    console.log(`${title}: ${ref} vs ${other}: ${d.length === 0 ? 'MATCH' : `DIFFER\n    ${d.join('\n    ')}`}`);
  }
}

function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('   '));
}

// ---------- main ----------

async function main() {
  const began = new Date();
  console.log(`bench/compare ${began.toISOString()}  events ${fmt(opt.events)}  seed ${opt.seed}  runs ${opt.runs}  engines ${opt.engines.join(',')}`);
  console.log(`host: ${execFileSync('uname', ['-srm'], { encoding: 'utf8' }).trim()}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores, ` +
    `${MB(Number(/MemTotal:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))[1]) * 1024)} RAM, node ${process.version}`);
  fs.mkdirSync(OUT, { recursive: true });
  const manifest = ensureData();
  const big = manifest.projects.reduce((a, b) => (b.events > a.events ? b : a));
  const { from, to } = manifest;
  console.log(`biggest project: ${big.name} (${fmt(big.events)} events, ${fmt(big.sessions)} sessions, ` +
    `${fmt(big.visitors)} visitors, ${fmt(big.pageviews)} pageviews), range ${from} .. ${to}`);

  const use = (e) => opt.engines.includes(e);
  if (use('tapistry') && !fs.existsSync(opt.tapistry)) {
    console.log(`\n(tapistry skipped: ${path.relative(ROOT, opt.tapistry)} does not exist; build it with make build)`);
    opt.engines = opt.engines.filter((e) => e !== 'tapistry');
  }

  const loads = [];
  const timings = {};   // engine -> query -> stats
  const answers = {};   // engine -> normalized overview
  const moreAnswers = {};
  const record = (engine, q, s) => { (timings[engine] ??= {})[q] = s; };
  const queries = overviewSql(big.name, from, to);
  const more = opt.more ? moreSql(big.name, from, to, '/pricing') : null;

  try {
    if (use('clickhouse')) {
      section('ClickHouse');
      await clickhouse.start();
      const l = await clickhouse.load(manifest);
      const fp = l ?? (await clickhouse.footprint());
      if (l) {
        console.log(`  load: ${fmt(manifest.events)} events in ${fmt(l.seconds, 2)} s = ${fmt(manifest.events / l.seconds)} events/s`);
        loads.push(['clickhouse', fmt(manifest.events / l.seconds), fmt(l.seconds, 1), fmt(fp.bytes / manifest.events, 1), fmt(fp.du / manifest.events, 1), MB(fp.du)]);
      }
      console.log(`  on disk: ${fp.parts} active parts, ${fmt(fp.rows)} rows, ${MB(fp.bytes)} in parts (${fmt(fp.bytes / manifest.events, 1)} B/event), du of active parts ${MB(fp.du)}`);
      const one = {};
      for (const [q, sql] of Object.entries(queries)) {
        const s = await timeIt(() => clickhouse.rows(sql.clickhouse));
        record('clickhouse', q, s);
        one[q] = s.answer;
      }
      record('clickhouse', 'overview (3 queries)', await timeIt(async () => {
        for (const sql of Object.values(queries)) await clickhouse.rows(sql.clickhouse);
      }));
      answers.clickhouse = normalizeOverview({ totals: one.totals[0], series: one.series, top_pages: one.top_pages });
      if (more) {
        moreAnswers.clickhouse = {};
        for (const [q, sql] of Object.entries(more)) {
          const s = await timeIt(() => clickhouse.rows(sql.clickhouse));
          record('clickhouse', q, s);
          moreAnswers.clickhouse[q] = s.answer;
        }
      }
      const chPid = clickhouse.proc.pid;
      console.log(`  clickhouse-server RSS after queries: ${MB(readProc(chPid).rss)}`);
      if (!opt.keepClickhouse) await clickhouse.stop();
    }

    if (use('duckdb')) {
      section('DuckDB');
      const l = await duckdb.load(manifest);
      const bytes = fs.statSync(DUCK_FILE).size;
      if (l) {
        console.log(`  load: ${fmt(manifest.events)} events in ${fmt(l.seconds, 2)} s = ${fmt(manifest.events / l.seconds)} events/s`);
        loads.push(['duckdb', fmt(manifest.events / l.seconds), fmt(l.seconds, 1), fmt(bytes / manifest.events, 1), fmt(bytes / manifest.events, 1), MB(bytes)]);
      }
      console.log(`  on disk: ${MB(bytes)} (${fmt(bytes / manifest.events, 1)} B/event), duckdb ${(await duckdb.rows('SELECT version() AS v'))[0].v}`);
      const one = {};
      for (const [q, sql] of Object.entries(queries)) {
        const s = await timeIt(() => duckdb.rows(sql.duckdb));
        record('duckdb', q, s);
        one[q] = s.answer;
      }
      record('duckdb', 'overview (3 queries)', await timeIt(async () => {
        for (const sql of Object.values(queries)) await duckdb.rows(sql.duckdb);
      }));
      answers.duckdb = normalizeOverview({ totals: one.totals[0], series: one.series, top_pages: one.top_pages });
      if (more) {
        moreAnswers.duckdb = {};
        for (const [q, sql] of Object.entries(more)) {
          const s = await timeIt(() => duckdb.rows(sql.duckdb));
          record('duckdb', q, s);
          moreAnswers.duckdb[q] = s.answer;
        }
      }
      console.log(`  node process RSS (DuckDB in-process) after queries: ${MB(readProc(process.pid).rss)}`);
      await duckdb.close();
    }

    if (use('tapistry')) {
      section('tapistry');
      const l = await tapistry.load(manifest);
      if (l) {
        console.log(`  import: ${fmt(manifest.events)} events in ${fmt(l.seconds, 2)} s = ${fmt(manifest.events / l.seconds)} events/s, ` +
          `max RSS of an import ${MB(l.maxRss)}`);
      }
      const bytes = duBytes(TAP_DIR);
      console.log(`  on disk: du ${MB(bytes)} (${fmt(bytes / manifest.events, 1)} B/event)`);
      if (l) loads.push(['tapistry', fmt(manifest.events / l.seconds), fmt(l.seconds, 1), '-', fmt(bytes / manifest.events, 1), MB(bytes)]);
      const s = await tapistry.serve();
      console.log(`  serve: listening after ${fmt(s.startMs)} ms, RSS 1 s after start ${MB(s.rss)} (peak ${MB(s.hwm)})`);
      const t = await timeIt(() => tapistry.overview(big.name, from, to));
      record('tapistry', 'overview (1 request)', t);
      answers.tapistry = normalizeOverview(t.answer);
      const after = readProc(tapistry.serveProc.pid);
      console.log(`  serve RSS after ${opt.runs + 2} overview requests: ${MB(after.rss)} (peak ${MB(after.hwm)})`);
      await tapistry.stop();
    }
  } finally {
    if (!opt.keepClickhouse) await clickhouse.stop();
    await tapistry.stop();
    await duckdb.close();
  }

  section(`results (${began.toISOString().slice(0, 10)}, ${fmt(manifest.events)} events, project ${big.name}, ${from} .. ${to})`);
  if (loads.length) {
    console.log('load:');
    printTable([['engine', 'events/s', 'seconds', 'B/event (parts)', 'B/event (du)', 'on disk'], ...loads]);
  }
  console.log(`queries (ms, ${opt.runs} warm runs each, after 2 warm-up runs):`);
  const rows = [['engine', 'query', 'p50', 'p95', 'min']];
  for (const [engine, qs] of Object.entries(timings)) {
    for (const [q, s] of Object.entries(qs)) rows.push([engine, q, fmt(s.p50, 1), fmt(s.p95, 1), fmt(s.min, 1)]);
  }
  printTable(rows);

  const anyAnswer = Object.values(answers)[0];
  if (anyAnswer) {
    console.log('\nanswer (overview):');
    console.log(`  totals: ${JSON.stringify(anyAnswer.totals)}`);
    console.log(`  series: ${anyAnswer.series.length} days, first ${JSON.stringify(anyAnswer.series[0])}, last ${JSON.stringify(anyAnswer.series.at(-1))}`);
    console.log('  top pages:');
    for (const t of anyAnswer.top_pages) console.log(`    ${t.path.padEnd(14)} ${String(t.pageviews).padStart(9)} pageviews ${String(t.sessions).padStart(9)} sessions`);
    console.log(`  generator says: ${big.pageviews} pageviews, ${big.sessions} sessions, ${big.visitors} visitors`);
  }
  compareAnswers('overview', answers);
  if (more) for (const q of Object.keys(more)) {
    compareAnswers(q, Object.fromEntries(Object.entries(moreAnswers).map(([e, a]) => [e, a[q]])));
    const a = Object.values(moreAnswers)[0]?.[q];
    if (a) console.log(`  ${q}: ${a.length} rows, first ${JSON.stringify(a[0])}`);
  }
}

const stopAll = async (sig) => {
  await clickhouse.stop().catch(() => {});
  await tapistry.stop().catch(() => {});
  process.exit(sig === 'SIGINT' ? 130 : 143);
};
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

main().catch(async (e) => {
  console.error(`\nbench/compare failed: ${e.stack ?? e}`);
  await clickhouse.stop().catch(() => {});
  await tapistry.stop().catch(() => {});
  process.exit(1);
});
