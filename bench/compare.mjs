// bench/compare.mjs — the same data set and the same questions on tapistry, ClickHouse and DuckDB.
// Prints figures; asserts nothing. Run through bench/compare (docs/performance.md).
//
// Steps: generate the data set once (cached under bench/out/data-<N>), load it into each engine
// (timing events/s and measuring bytes on disk per event), then time the overview queries (and
// with --more the dashboard's page queries: heatmap tiles, scroll histogram, top elements, referrer
// breakdown, and with --funnels issue 11's funnels) warm, `--runs` times each, print p50/p95, and
// check that the three engines return the same answers (MATCH / MISMATCH per query, with the
// differing values).
//
// Engines:
//   tapistry    `tapistry project create` + `tapistry import` (under /usr/bin/time -v), then
//               `tapistry serve` and GET /api/overview, /api/heatmap, /api/scrollmap,
//               /api/elements, /api/breakdown, POST /api/funnels/query with the read token over
//               keep-alive HTTP.
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
  --more            also the dashboard's page queries, on every engine (tapistry through its
                    HTTP API): heatmap tiles, scroll histogram, top elements, referrer breakdown
  --path P          the page of the --more queries (default: the busiest page by page views)
  --funnels         also issue 11's funnels, on every engine (tapistry through POST /api/funnels/query):
                    4 pages (session, 30 min), the same by device, by utm_source (and by device ×
                    utm_source on ClickHouse and DuckDB), per visitor (7 days), and 10 steps
  --no-overview     skip the overview questions (series, totals, top_pages, overview), e.g. to time
                    only --funnels; --more then uses --path or /
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
  reuse: false, more: false, path: null, keepClickhouse: false, funnels: false, overview: true,
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
      case '--funnels': opt.funnels = true; break;
      case '--no-overview': opt.overview = false; break;
      case '--path': opt.path = v(); break;
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
// with ECONNRESET / "socket hang up", or EPIPE when the body is still being written; such a request
// never reached the server, so retry it once.
function httpRequest(port, method, urlPath, body, headers = {}, retried = false) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(600_000, () => req.destroy(new Error(`timeout ${method} ${urlPath}`)));
    req.on('error', (e) => {
      if (req.reusedSocket && !retried && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
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
// Every number is the one server/include/tapistry/event_store.h defines (executably:
// server/test/reference_event_store.cc), computed exactly on every engine (uniqExact,
// count(DISTINCT), no sampling). The filter is EventFilter's: project, from..to as inclusive UTC
// days of ts (event_date is exactly that day, and on ClickHouse 18.16 it is what prunes partitions
// and primary-key ranges), bots' events left out as the read API does by default (bot_score >= 50
// is a bot's: tapistry::IsBotScore; docs/api.md "Bots"), and for the page queries one exact
// normalized path.
//
// overview (OverviewTotals / OverviewDay / TopPage):
//   pageviews = page_view events; sessions / visitors = distinct session_id / anonymous_id over all
//   selected events (a session crossing midnight counts once in the totals and once per day);
//   sessions_with_pageviews / bounced_sessions = sessions with >= 1 / exactly 1 page_view;
//   total_duration_ms = sum over sessions of (last ts - first ts) within the selection (the day, in
//   the series). The API derives bounce_rate = bounced / with_pageviews, avg_session_ms =
//   duration / sessions (integer), views_per_session = pageviews / with_pageviews; so does
//   deriveTotals below. top_pages = page_views per path, distinct sessions with a page_view of
//   it, pageviews desc then path asc, 10 rows.

function whereClauses(project, from, to) {
  return {
    clickhouse: `project_id = '${project}' AND event_date >= toDate('${from}') AND event_date <= toDate('${to}') AND bot_score < 50`,
    duckdb: `project_id = '${project}' AND event_date BETWEEN DATE '${from}' AND DATE '${to}' AND bot_score < 50`,
  };
}

function overviewSql(project, from, to) {
  const { clickhouse: ch, duckdb: dk } = whereClauses(project, from, to);
  // Per (day, session) in the series, per session in the totals; visitors are distinct over
  // events, not sessions, so ClickHouse carries each session's anonymous ids (uniqExactArray) and
  // DuckDB counts them in a second aggregate over the same rows.
  const chTotals = (byDay) => `SELECT ${byDay ? 'toString(event_date) AS date, ' : ''}sum(pv) AS pageviews, count() AS sessions,
          uniqExactArray(anons) AS visitors, countIf(pv > 0) AS sessions_with_pageviews,
          countIf(pv = 1) AS bounced_sessions, sum(dur) AS total_duration_ms
        FROM (SELECT ${byDay ? 'event_date, ' : ''}session_id, countIf(type = 'page_view') AS pv,
            groupUniqArray(anonymous_id) AS anons, max(ts) - min(ts) AS dur
          FROM events WHERE ${ch} GROUP BY ${byDay ? 'event_date, ' : ''}session_id)
        ${byDay ? 'GROUP BY event_date ORDER BY event_date' : ''}`;
  const dkTotals = (byDay) => `WITH s AS (
          SELECT ${byDay ? 'event_date, ' : ''}session_id, count(*) FILTER (WHERE type = 'page_view') AS pv, max(ts) - min(ts) AS dur
          FROM events WHERE ${dk} GROUP BY ${byDay ? 'event_date, ' : ''}session_id),
        v AS (SELECT ${byDay ? 'event_date, ' : ''}count(DISTINCT anonymous_id) AS visitors FROM events WHERE ${dk}
          ${byDay ? 'GROUP BY event_date' : ''})
        SELECT ${byDay ? "strftime(s.event_date, '%Y-%m-%d') AS date, " : ''}sum(pv) AS pageviews, count(*) AS sessions,
          any_value(v.visitors) AS visitors, count(*) FILTER (WHERE pv > 0) AS sessions_with_pageviews,
          count(*) FILTER (WHERE pv = 1) AS bounced_sessions, sum(dur) AS total_duration_ms
        FROM s ${byDay ? 'JOIN v USING (event_date) GROUP BY s.event_date ORDER BY s.event_date' : ', v'}`;
  return {
    series: { clickhouse: chTotals(true), duckdb: dkTotals(true) },
    totals: { clickhouse: chTotals(false), duckdb: dkTotals(false) },
    top_pages: {
      clickhouse: `SELECT path, count() AS pageviews, uniqExact(session_id) AS sessions
        FROM events WHERE ${ch} AND type = 'page_view'
        GROUP BY path ORDER BY pageviews DESC, path ASC LIMIT 10`,
      duckdb: `SELECT path, count(*) AS pageviews, count(DISTINCT session_id) AS sessions
        FROM events WHERE ${dk} AND type = 'page_view'
        GROUP BY path ORDER BY pageviews DESC, path ASC LIMIT 10`,
    },
  };
}

// The dashboard's page queries (--more), for one path. Each entry: the SQL for both engines, the
// tapistry request answering the same question, and how each answer becomes the common shape
// that compareAnswers checks field by field.
const ELEMENTS_LIMIT = 20;
const REFERRERS_LIMIT = 20;
function moreSql(project, from, to, pagePath) {
  const { clickhouse: ch, duckdb: dk } = whereClauses(project, from, to);
  const p = pagePath.replaceAll("'", "''");
  const n = Number;
  return {
    // HeatmapResult: clicks with a point on the path, tile i = min(63, floor(x*64)), j likewise
    // (x, y are float32 in 0..1; x*64 is exact in float and double alike); non-zero tiles
    // ascending by (i, j); total = their sum; pageviews = page_view events of the path.
    heatmap_tiles: {
      clickhouse: `SELECT least(63, toUInt8(floor(assumeNotNull(x) * 64))) AS ti, least(63, toUInt8(floor(assumeNotNull(y) * 64))) AS tj,
          count() AS n, (SELECT count() FROM events WHERE ${ch} AND type = 'page_view' AND path = '${p}') AS pageviews
        FROM events WHERE ${ch} AND type = 'click' AND path = '${p}' AND isNotNull(x) AND isNotNull(y)
        GROUP BY ti, tj ORDER BY ti, tj`,
      duckdb: `SELECT least(63, floor(x * 64)::INTEGER) AS ti, least(63, floor(y * 64)::INTEGER) AS tj, count(*) AS n,
          (SELECT count(*) FROM events WHERE ${dk} AND type = 'page_view' AND path = '${p}') AS pageviews
        FROM events WHERE ${dk} AND type = 'click' AND path = '${p}' AND x IS NOT NULL AND y IS NOT NULL
        GROUP BY ti, tj ORDER BY ti, tj`,
      tapistry: { endpoint: '/api/heatmap', params: { path: pagePath } },
      fromSql: (rows) => ({
        ...keyed(rows.map((r) => [`${n(r.ti)},${n(r.tj)}`, n(r.n)]), (k) => k.split(',').map(Number)),
        total: rows.reduce((s, r) => s + n(r.n), 0),
        pageviews: rows.length ? n(rows[0].pageviews) : null,
      }),
      fromTapistry: (o) => ({
        ...keyed(o.tiles.map((t) => [`${t.i},${t.j}`, t.count]), (k) => k.split(',').map(Number)),
        total: o.total, pageviews: o.pageviews,
      }),
    },
    // ScrollMapResult: scroll events of the path per depth_pct (<= 100); views = their number.
    // The API lists only non-zero depths; its `reach` is derived from these.
    scroll_histogram: {
      clickhouse: `SELECT assumeNotNull(depth_pct) AS depth, count() AS n
        FROM events WHERE ${ch} AND type = 'scroll' AND path = '${p}' AND isNotNull(depth_pct) AND depth_pct <= 100
        GROUP BY depth ORDER BY depth`,
      duckdb: `SELECT depth_pct AS depth, count(*) AS n
        FROM events WHERE ${dk} AND type = 'scroll' AND path = '${p}' AND depth_pct IS NOT NULL AND depth_pct <= 100
        GROUP BY depth ORDER BY depth`,
      tapistry: { endpoint: '/api/scrollmap', params: { path: pagePath } },
      fromSql: (rows) => ({
        ...keyed(rows.map((r) => [String(n(r.depth)), n(r.n)]), (k) => [Number(k)], 'histogram'),
        views: rows.reduce((s, r) => s + n(r.n), 0),
      }),
      fromTapistry: (o) => ({
        ...keyed(o.histogram.map((h) => [String(h.depth_pct), h.count]), (k) => [Number(k)], 'histogram'),
        views: o.views,
      }),
    },
    // ElementsResult: clicks of the path by selector_hash (0 counts in total_clicks only); selector =
    // the smallest non-empty string seen; rage / dead = clicks with the flag; ex, ey = mean over
    // clicks with both (0 if none), which the API rounds to 4 decimals; clicks desc, then
    // selector_hash asc (as a number), 20 rows; total_clicks = every click of the path.
    top_elements: {
      clickhouse: `SELECT toString(selector_hash) AS hash, minIf(selector, selector != '') AS sel, count() AS clicks,
          countIf(bitAnd(flags, 1) != 0) AS rage, countIf(bitAnd(flags, 2) != 0) AS dead,
          countIf(isNotNull(ex) AND isNotNull(ey)) AS with_pos,
          sumIf(toFloat64(assumeNotNull(ex)), isNotNull(ex) AND isNotNull(ey)) AS sum_ex,
          sumIf(toFloat64(assumeNotNull(ey)), isNotNull(ex) AND isNotNull(ey)) AS sum_ey,
          (SELECT count() FROM events WHERE ${ch} AND type = 'click' AND path = '${p}') AS total_clicks
        FROM events WHERE ${ch} AND type = 'click' AND path = '${p}' AND selector_hash != 0
        GROUP BY selector_hash ORDER BY clicks DESC, selector_hash ASC LIMIT ${ELEMENTS_LIMIT}`,
      duckdb: `SELECT selector_hash::VARCHAR AS hash, coalesce(min(selector) FILTER (WHERE selector != ''), '') AS sel,
          count(*) AS clicks, count(*) FILTER (WHERE flags & 1 != 0) AS rage, count(*) FILTER (WHERE flags & 2 != 0) AS dead,
          count(*) FILTER (WHERE ex IS NOT NULL AND ey IS NOT NULL) AS with_pos,
          coalesce(sum(ex::DOUBLE) FILTER (WHERE ex IS NOT NULL AND ey IS NOT NULL), 0) AS sum_ex,
          coalesce(sum(ey::DOUBLE) FILTER (WHERE ex IS NOT NULL AND ey IS NOT NULL), 0) AS sum_ey,
          (SELECT count(*) FROM events WHERE ${dk} AND type = 'click' AND path = '${p}') AS total_clicks
        FROM events WHERE ${dk} AND type = 'click' AND path = '${p}' AND selector_hash != 0
        GROUP BY selector_hash ORDER BY clicks DESC, selector_hash ASC LIMIT ${ELEMENTS_LIMIT}`,
      tapistry: { endpoint: '/api/elements', params: { path: pagePath, limit: ELEMENTS_LIMIT } },
      fromSql: (rows) => ({
        elements: rows.map((r) => ({
          selector_hash: String(r.hash), selector: r.sel, clicks: n(r.clicks), rage: n(r.rage), dead: n(r.dead),
          ex: n(r.with_pos) ? round4(n(r.sum_ex) / n(r.with_pos)) : 0,
          ey: n(r.with_pos) ? round4(n(r.sum_ey) / n(r.with_pos)) : 0,
        })),
        total_clicks: rows.length ? n(rows[0].total_clicks) : null,
      }),
      fromTapistry: (o) => ({
        elements: o.elements.map((e) => ({ selector_hash: e.selector_hash, selector: e.selector, clicks: e.clicks,
          rage: e.rage, dead: e.dead, ex: e.ex, ey: e.ey })),
        total_clicks: o.total_clicks,
      }),
    },
    // BreakdownResult for the session-level dimension `referrer` (not limited to the path): each
    // session with a page_view is attributed to its first page_view (earliest ts, then smallest
    // event_id) and that event's referrer host ("" = none); visitors = distinct anonymous_id of
    // the first page views of the value's sessions; pageviews = all page_views of those sessions;
    // visitors desc, then value asc, 20 rows; total_visitors = distinct anonymous_id of every
    // selected event. The host is what tapistry stores: ingest lower-cases the referrer's host
    // (SanitizeUrl) and drops a referrer on the page's own host (docs/wire-format.md), so the SQL,
    // which reads the raw rows, does the same to the first page view's referrer and url.
    referrers: {
      clickhouse: `SELECT if(rhost = uhost, '', rhost) AS value, uniqExact(visitor) AS visitors, sum(pv) AS pageviews,
          (SELECT uniqExact(anonymous_id) FROM events WHERE ${ch}) AS total_visitors
        FROM (SELECT extract(lower(tupleElement(f, 1)), '^https?://([^/?#]*)') AS rhost,
            extract(lower(tupleElement(f, 2)), '^https?://([^/?#]*)') AS uhost, tupleElement(f, 3) AS visitor, pv
          FROM (SELECT argMin(tuple(referrer, url, anonymous_id), tuple(ts, event_id)) AS f, count() AS pv
            FROM events WHERE ${ch} AND type = 'page_view' GROUP BY session_id))
        GROUP BY value ORDER BY visitors DESC, value ASC LIMIT ${REFERRERS_LIMIT}`,
      duckdb: `WITH first AS (
          SELECT arg_min({'r': referrer, 'u': url, 'a': anonymous_id}, {'t': ts, 'e': event_id}) AS f, count(*) AS pv
          FROM events WHERE ${dk} AND type = 'page_view' GROUP BY session_id),
        hosts AS (SELECT regexp_extract(lower(f.r), '^https?://([^/?#]*)', 1) AS rhost,
          regexp_extract(lower(f.u), '^https?://([^/?#]*)', 1) AS uhost, f.a AS visitor, pv FROM first)
        SELECT CASE WHEN rhost = uhost THEN '' ELSE rhost END AS value, count(DISTINCT visitor) AS visitors,
          sum(pv) AS pageviews, (SELECT count(DISTINCT anonymous_id) FROM events WHERE ${dk}) AS total_visitors
        FROM hosts GROUP BY value ORDER BY visitors DESC, value ASC LIMIT ${REFERRERS_LIMIT}`,
      tapistry: { endpoint: '/api/breakdown', params: { dimension: 'referrer', limit: REFERRERS_LIMIT } },
      fromSql: (rows) => ({
        rows: rows.map((r) => ({ value: r.value, visitors: n(r.visitors), pageviews: n(r.pageviews) })),
        total_visitors: rows.length ? n(rows[0].total_visitors) : null,
      }),
      fromTapistry: (o) => ({
        rows: o.rows.map((r) => ({ value: r.value, visitors: r.visitors, pageviews: r.pageviews })),
        total_visitors: o.total_visitors,
      }),
    },
  };
}
// A list of (key, count) kept in answer order as an object keyed by tile or depth, so a diff names
// the tiles that differ instead of every entry after the first insertion, plus whether the list
// was in the defined ascending order.
function keyed(pairs, parts, name = 'tiles') {
  const cmp = (a, b) => { for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i]; return 0; };
  let ascending = true;
  for (let i = 1; i < pairs.length; i++) if (cmp(parts(pairs[i - 1][0]), parts(pairs[i][0])) >= 0) ascending = false;
  return { [name]: Object.fromEntries(pairs), [`${name}_count`]: pairs.length, ascending };
}
// The API's rounding of ex / ey: std::round(v * 10000) / 10000 (v >= 0, so Math.round agrees).
function round4(v) { return Math.round(v * 10000) / 10000; }

// ---------- funnels (--funnels) ----------
// Issue 11's speed questions: the same funnels (tapistry/funnel.h, DESIGN §5; sequential mode) on
// every engine. The definitions are fixed below; only the click steps' selectors are read from
// the data (the most clicked selector of each funnel page: the page's primary call to action,
// which the generator picks per page from its seed), so another --seed still gives a funnel
// people go through.
//
// The contract: a unit (session_id, or anonymous_id for unit visitor) reaches step k when k
// distinct events of it match steps 1..k in order with non-decreasing timestamps (ties allowed),
// the last at most window_ms after the first (inclusive), and the first on a day in
// [from, to]; later steps may lie after `to` (the data read runs to `to` + the window's days).
// Bots' events (bot_score >= 50) are not seen. Units per step = units reaching it or further.
// A breakdown splits units by the value on their chain's step-1 event.
//
// ClickHouse: windowFunnel, per unit, then units per level. Debian's 18.16 takes only a UInt32
// (or DateTime) timestamp and keeps each level's start in an Int32, so a millisecond timestamp
// must be an offset below 2^31 (24.8 days) from a base: the range is cut into segments of
// L = 2^31 - 1 - window ms, segment j's windowFunnel sees step-1 events in [B_j, B_j + L) and
// later steps in [B_j, B_j + L + window] as toUInt32(ts - B_j), and a unit's level is the
// greatest over the segments. Exact: every chain's events lie within the window after its step-1
// event, so the segment holding that event sees the whole chain. windowFunnel sorts a unit's
// events by timestamp alone (stable, in the order it read them) and lets an event of step k+1
// follow one of step k only when it comes later in that order: at one millisecond it may count
// fewer steps than the contract, which allows ties in either order. The harness counts the units
// where this can happen (events of different steps at one millisecond), see funnelChecks.
//
// DuckDB: the same definition as SQL, exact with ties: per unit, level by level, the latest
// step-1 time a chain ending at this event can have ("latest start": a later start leaves more of
// the window for the steps after), as a running max over the unit's earlier events of the
// previous step, ordered by (ts, step) so a tie with the previous step still chains; a chain
// whose step k is more than window_ms after its start is dropped. One window pass per step, over
// the units that have a step-1 event in the range (the others are not in the funnel). It
// gives each event at most one step, which is the contract when no event matches two steps
// (funnelChecks counts those; 0 for these funnels).
//
// Breakdowns: the value of the unit's earliest in-range step-1 event. The contract takes the
// step-1 event of the unit's earliest chain reaching its furthest step; the two agree whenever
// all of a unit's step-1 events carry one value — true of device (a visitor's) and utm_source (a
// session's) per session, and counted by funnelChecks. tapistry breaks down by one dimension, so
// device and utm_source are timed apart; the device × utm_source cross is asked of ClickHouse and
// DuckDB only.
const FUNNEL_PAGES = ['/pricing', '/signup', '/onboarding', '/dashboard'];
const MINUTE = 60_000, DAY = 86_400_000;
const FUNNEL_BREAKDOWN_LIMIT = 100;  // all values (limits::kMaxFunnelBreakdownRows)

function funnelDefs(ctas) {
  const pv = (p, match = 'equals') => ({ type: 'page_view', path: p, match });
  const click = (p) => ({ type: 'click', path: p, match: 'equals', selector: ctas[p] });
  const page4 = FUNNEL_PAGES.map((p) => pv(p));
  const session = { unit: 'session', window_ms: 30 * MINUTE };
  return {
    funnel4: { ...session, steps: page4,
      what: `4 page views ${FUNNEL_PAGES.join(' → ')}, session, 30-minute window` },
    funnel4_device: { ...session, steps: page4, breakdown: ['device'], what: 'the same by device' },
    funnel4_utm_source: { ...session, steps: page4, breakdown: ['utm_source'], what: 'the same by utm_source' },
    funnel4_device_x_utm_source: { ...session, steps: page4, breakdown: ['device', 'utm_source'], peersOnly: true,
      what: 'the same by device × utm_source (ClickHouse and DuckDB only: a tapistry funnel has one breakdown dimension)' },
    funnel4_visitor: { unit: 'visitor', window_ms: 7 * DAY, steps: page4,
      what: 'the 4 page views, visitor (across sessions and days), 7-day window' },
    funnel10: { ...session,
      steps: [pv('/pricing'), click('/pricing'), pv('/signup'), click('/signup'),
        { type: 'custom', event: 'signup_submitted' }, pv('/onboarding'), click('/onboarding'), pv('/dashboard'),
        click('/dashboard'), pv('/products/', 'prefix')],
      what: '10 steps: each funnel page, then the click on its most clicked element; signup_submitted after /signup\'s click; ' +
        'then a page under /products/ (prefix); session, 30-minute window' },
  };
}
function describeStep(s) {
  const where = s.path ? `${s.match === 'equals' ? '' : `${s.match} `}${s.path}` : '';
  if (s.type === 'page_view') return where;
  if (s.type === 'click') return `click ${JSON.stringify(s.selector)}${where ? ` on ${where}` : ''}`;
  return `custom ${s.event}${where ? ` on ${where}` : ''}`;
}

// The most clicked non-empty selector of each funnel page (clicks desc, then selector asc).
const CTA_SQL = {
  clickhouse: (w) => `SELECT path, selector FROM (SELECT path, selector, count() AS n FROM events
      WHERE ${w} AND type = 'click' AND selector != '' AND path IN (${FUNNEL_PAGES.map(sqlString).join(', ')})
      GROUP BY path, selector ORDER BY path, n DESC, selector) LIMIT 1 BY path`,
  duckdb: (w) => `SELECT path, selector FROM (SELECT path, selector,
        row_number() OVER (PARTITION BY path ORDER BY count(*) DESC, selector) AS rank
      FROM events WHERE ${w} AND type = 'click' AND selector != '' AND path IN (${FUNNEL_PAGES.map(sqlString).join(', ')})
      GROUP BY path, selector) WHERE rank = 1`,
};

function sqlString(v) {
  const s = String(v);
  if (/['\\]/.test(s)) throw new Error(`funnel values with quotes or backslashes are not supported: ${s}`);
  return `'${s}'`;
}
// One step's condition on an events row, in either dialect (funnel.h FunnelStep).
function stepCond(s, dialect) {
  const ch = dialect === 'clickhouse';
  const parts = [`type = '${s.type}'`];
  if (s.path) {
    const p = sqlString(s.path);
    parts.push({
      equals: `path = ${p}`,
      prefix: ch ? `startsWith(path, ${p})` : `starts_with(path, ${p})`,
      contains: ch ? `position(path, ${p}) > 0` : `contains(path, ${p})`,
      regex: ch ? `match(path, ${p})` : `regexp_matches(path, ${p})`,
    }[s.match ?? 'equals']);
  }
  if (s.type === 'click') {
    if (s.selector) parts.push(`selector = ${sqlString(s.selector)}`);
    if (s.selector_hash) parts.push(`selector_hash = ${BigInt(s.selector_hash)}`);
  }
  if (s.type === 'custom') {
    if (s.property) throw new Error('custom steps with a property are not in the SQL of this harness');
    parts.push(`name = ${sqlString(s.event)}`);
  }
  return `(${parts.join(' AND ')})`;
}
const UNIT_COLUMN = { session: 'session_id', visitor: 'anonymous_id' };
const BREAKDOWN_EXPR = {
  clickhouse: { device: 'toString(device_class)', utm_source: 'utm_source' },
  duckdb: { device: 'device_class::VARCHAR', utm_source: 'utm_source' },
};
function breakdownExpr(dims, dialect) {
  const e = dims.map((d) => BREAKDOWN_EXPR[dialect][d]);
  return e.length === 1 ? e[0] : dialect === 'clickhouse' ? `concat(${e.join(", ' × ', ")})` : e.join(" || ' × ' || ");
}
function funnelRange(def, from, to) {
  const F = Date.parse(`${from}T00:00:00Z`), E = Date.parse(`${to}T00:00:00Z`) + DAY;
  const readTo = new Date(E - DAY + Math.ceil(def.window_ms / DAY) * DAY).toISOString().slice(0, 10);
  return { F, E, readTo };
}

function funnelSql(def, project, from, to) {
  const { F, E, readTo } = funnelRange(def, from, to);
  const W = def.window_ms, n = def.steps.length, unit = UNIT_COLUMN[def.unit];
  const out = {};
  {
    const c = def.steps.map((s) => stepCond(s, 'clickhouse'));
    const L = 2 ** 31 - 1 - W;
    const segments = [];
    for (let b = F; b < E; b += L) {
      const later = `ts >= ${b} AND ts <= ${b + L + W}`;
      segments.push(`windowFunnel(${W})(toUInt32(ts - ${b}), ${c.map((x, i) => (i === 0
        ? `${x} AND ts >= ${b} AND ts < ${Math.min(b + L, E)}` : `${x} AND ${later}`)).join(', ')})`);
    }
    const level = segments.reduce((a, s) => (a ? `greatest(${a}, ${s})` : s), '');
    const value = def.breakdown ? `argMinIf(${breakdownExpr(def.breakdown, 'clickhouse')}, ts, ${c[0]} AND ts >= ${F} AND ts < ${E}) AS value, ` : '';
    out.clickhouse = `SELECT ${def.breakdown ? 'value, ' : ''}level, count() AS units FROM (
        SELECT ${value}${level} AS level
        FROM events WHERE project_id = ${sqlString(project)} AND event_date >= toDate('${from}') AND event_date <= toDate('${readTo}')
          AND bot_score < 50 AND (${c.join(' OR ')})
        GROUP BY ${unit})
      WHERE level > 0 GROUP BY ${def.breakdown ? 'value, ' : ''}level`;
  }
  {
    const c = def.steps.map((s) => stepCond(s, 'duckdb'));
    const v = def.breakdown ? `, ${breakdownExpr(def.breakdown, 'duckdb')} AS v` : '';
    const cols = `u, ts, step${def.breakdown ? ', v' : ''}`;
    const levels = [];
    for (let k = 2; k <= n; k++) {
      levels.push(`l${k} AS (SELECT ${cols}, CASE WHEN step = ${k} THEN (CASE WHEN m + ${W} >= ts THEN m END) ELSE s END AS s
          FROM (SELECT *, max(CASE WHEN step = ${k - 1} THEN s END) OVER (PARTITION BY u ORDER BY ts, step
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS m FROM l${k - 1}))`);
    }
    out.duckdb = `WITH ev AS (
          SELECT ${unit} AS u, ts, CASE ${c.map((x, i) => `WHEN ${x} THEN ${i + 1}`).join(' ')} END AS step${v}
          FROM events WHERE project_id = ${sqlString(project)} AND event_date BETWEEN DATE '${from}' AND DATE '${readTo}'
            AND bot_score < 50 AND (${c.join(' OR ')})),
        l1 AS (SELECT ${cols}, CASE WHEN step = 1 AND ts >= ${F} AND ts < ${E} THEN ts END AS s FROM ev
          WHERE u IN (SELECT u FROM ev WHERE step = 1 AND ts >= ${F} AND ts < ${E})),
        ${levels.join(',\n        ')}${levels.length ? ',' : ''}
        per_unit AS (SELECT u, coalesce(max(step) FILTER (WHERE s IS NOT NULL), 0) AS level
            ${def.breakdown ? ', arg_min(v, ts) FILTER (WHERE step = 1 AND s IS NOT NULL) AS value' : ''}
          FROM l${n} GROUP BY u)
      SELECT ${def.breakdown ? 'value, ' : ''}level, count(*) AS units FROM per_unit WHERE level > 0
      GROUP BY ${def.breakdown ? 'value, ' : ''}level`;
  }
  return out;
}

// Untimed checks of the data against the funnel (on the first SQL engine): events matching two
// steps (the DuckDB SQL gives an event one step), units with events of different steps at one
// millisecond (where windowFunnel may count fewer steps than the contract), and units whose
// in-range step-1 events carry more than one breakdown value (where the SQL's value may not be
// the chain's).
function funnelChecksSql(def, project, from, to, dialect) {
  const { F, E, readTo } = funnelRange(def, from, to);
  const ch = dialect === 'clickhouse';
  const c = def.steps.map((s) => stepCond(s, dialect));
  const unit = UNIT_COLUMN[def.unit];
  const where = `project_id = ${sqlString(project)} AND ${ch ? `event_date >= toDate('${from}') AND event_date <= toDate('${readTo}')`
    : `event_date BETWEEN DATE '${from}' AND DATE '${readTo}'`} AND bot_score < 50 AND (${c.join(' OR ')})`;
  const step = ch ? `multiIf(${c.map((x, i) => `${x}, ${i + 1}`).join(', ')}, 0)` : `CASE ${c.map((x, i) => `WHEN ${x} THEN ${i + 1}`).join(' ')} END`;
  const matches = c.map((x) => (ch ? `toUInt8(${x})` : `${x}::INTEGER`)).join(' + ');
  const distinct = (x) => (ch ? `uniqExact(${x})` : `count(DISTINCT ${x})`);
  const values = def.breakdown ? `, (SELECT count(*) FROM (SELECT ${unit} FROM events WHERE ${where} AND ${c[0]} AND ts >= ${F} AND ts < ${E}
      GROUP BY ${unit} HAVING ${distinct(breakdownExpr(def.breakdown, dialect))} > 1) AS t3) AS units_with_several_values` : '';
  return `SELECT (SELECT count(*) FROM events WHERE ${where} AND ${matches} > 1) AS events_matching_two_steps,
      (SELECT ${distinct('u')} FROM (SELECT ${unit} AS u, ts FROM (SELECT ${unit}, ts, ${step} AS step FROM events WHERE ${where}) AS t1
        GROUP BY ${unit}, ts HAVING ${distinct('step')} > 1) AS t2) AS units_with_tied_steps${values}`;
}

// Units per step (and per breakdown value, with the values in the API's order: step-1 units desc,
// then value asc) from rows (value?, level, units): units at each furthest level.
function funnelFromSql(def, rows) {
  const n = def.steps.length;
  const perStep = (levels) => {
    const out = new Array(n).fill(0);
    for (const [level, units] of levels) for (let k = 0; k < level; k++) out[k] += units;
    return out;
  };
  const answer = { steps: perStep(rows.map((r) => [Number(r.level), Number(r.units)])) };
  if (def.breakdown) {
    const byValue = new Map();
    for (const r of rows) {
      const v = String(r.value ?? '');
      if (!byValue.has(v)) byValue.set(v, []);
      byValue.get(v).push([Number(r.level), Number(r.units)]);
    }
    const values = [...byValue.entries()].map(([v, l]) => [v, perStep(l)])
      .sort((a, b) => b[1][0] - a[1][0] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, FUNNEL_BREAKDOWN_LIMIT);
    answer.breakdown = Object.fromEntries(values);
    answer.order = values.map(([v]) => v);
  }
  return answer;
}
function funnelFromApi(def, o) {
  const answer = { steps: o.steps.map((s) => s.units) };
  if (def.breakdown) {
    const rows = o.breakdowns[def.breakdown[0]] ?? [];
    answer.breakdown = Object.fromEntries(rows.map((r) => [r.value, r.steps.map((s) => s.units)]));
    answer.order = rows.map((r) => r.value);
  }
  return answer;
}
function funnelBody(def, projectId, from, to) {
  const definition = { steps: def.steps, mode: 'sequential', unit: def.unit, window_ms: def.window_ms };
  if (def.breakdown) definition.breakdown = def.breakdown[0];
  return { project_id: projectId, from, to, definition, breakdown_limit: FUNNEL_BREAKDOWN_LIMIT };
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
  // `tapistry serve` applies each project's retention (180 days by default) at start, and the data
  // set's days are in 2024: without this, serve would drop every imported event before the first
  // query. Binaries older than `project settings` (8ab6b00) have no retention job; they say so.
  keepHistory(manifest) {
    const days = Math.ceil((Date.now() - Date.parse(`${manifest.from}T00:00:00Z`)) / 86400000) + 366;
    for (const p of Object.values(this.projects)) {
      const r = spawnSync(opt.tapistry, ['project', 'settings', '--data', TAP_DIR, '--project', p.project_id,
        '--retention-days', String(days)], { encoding: 'utf8' });
      if (r.status !== 0) {
        if (/unknown project command/.test(r.stdout + r.stderr)) return;
        throw new Error(`tapistry project settings --retention-days ${days} failed: ${r.stdout}${r.stderr}`);
      }
    }
    console.log(`  retention set to ${days} days on every project (the data set starts ${manifest.from})`);
  },
  async load(manifest) {
    const projectsFile = path.join(TAP_DIR, 'bench-projects.json');
    if (opt.reuse && fs.existsSync(projectsFile)) {
      this.projects = JSON.parse(fs.readFileSync(projectsFile, 'utf8'));
      console.log(`reusing ${path.relative(ROOT, TAP_DIR)}`);
      this.keepHistory(manifest);
      return null;
    }
    fs.rmSync(TAP_DIR, { recursive: true, force: true });
    fs.mkdirSync(TAP_DIR, { recursive: true });
    this.projects = {};
    for (const p of manifest.projects) {
      const out = this.run(['project', 'create', '--data', TAP_DIR, '--name', p.name]).stdout;
      this.projects[p.name] = JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop());
    }
    this.keepHistory(manifest);
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
  // One read-API request with the project's read token; the common filter is the whole range.
  async get(project, endpoint, params, from, to) {
    const p = this.projects[project];
    const qs = new URLSearchParams({ project_id: p.project_id, from, to, ...params });
    const r = await httpRequest(opt.port, 'GET', `${endpoint}?${qs}`, null, { authorization: `Bearer ${p.read_token}` });
    if (r.status !== 200) throw new Error(`GET ${endpoint}: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body);
  },
  overview(project, from, to) { return this.get(project, '/api/overview', {}, from, to); },
  // POST /api/funnels/query with the project's read token; `raw` returns the status and body.
  async funnel(project, body, raw = false) {
    const p = this.projects[project];
    const json = JSON.stringify({ ...body, project_id: p.project_id });
    const r = await httpRequest(opt.port, 'POST', `/api/funnels/query?project_id=${encodeURIComponent(p.project_id)}`, json,
      { authorization: `Bearer ${p.read_token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    if (raw) return r;
    if (r.status !== 200) throw new Error(`POST /api/funnels/query: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body);
  },
};

// ---------- comparing answers ----------

// The API's derived overview numbers from the SQL engines' counts (api_service.cc WriteTotals).
function deriveTotals(t) {
  const n = (v) => Number(v);
  const pv = n(t.pageviews), sessions = n(t.sessions), withPv = n(t.sessions_with_pageviews);
  return {
    pageviews: pv, sessions, visitors: n(t.visitors),
    bounce_rate: withPv ? n(t.bounced_sessions) / withPv : 0,
    avg_session_ms: sessions ? Number(BigInt(t.total_duration_ms) / BigInt(sessions)) : 0,  // integer division
    views_per_session: withPv ? pv / withPv : 0,
  };
}
function daysOf(from, to) {
  const out = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86400000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}
const ZERO_DAY = { pageviews: 0, sessions: 0, visitors: 0, sessions_with_pageviews: 0, bounced_sessions: 0, total_duration_ms: 0 };
function overviewFromSql(one, from, to) {
  const byDate = new Map(one.series.map((d) => [String(d.date), d]));
  return {
    totals: deriveTotals(one.totals[0]),
    // The API lists every day of the range, zeros included; a GROUP BY only has days with rows.
    series: daysOf(from, to).map((date) => ({ date, ...deriveTotals(byDate.get(date) ?? ZERO_DAY) })),
    top_pages: one.top_pages.map((t) => ({ path: t.path, pageviews: Number(t.pageviews), sessions: Number(t.sessions) })),
  };
}
function overviewFromApi(o) {
  const pick = (t) => ({ pageviews: t.pageviews, sessions: t.sessions, visitors: t.visitors, bounce_rate: t.bounce_rate,
    avg_session_ms: t.avg_session_ms, views_per_session: t.views_per_session });
  return {
    totals: pick(o.totals),
    series: o.series.map((d) => ({ date: d.date, ...pick(d) })),
    top_pages: o.top_pages.map((t) => ({ path: t.path, pageviews: t.pageviews, sessions: t.sessions })),
  };
}

// Every leaf that differs, as "where: a vs b". ex / ey (mean element-relative positions, rounded
// to 4 decimals by the API) are floating-point means whose last bit depends on the order the
// engine adds the clicks in, so a difference of one rounding unit there is reported apart as
// `tolerated`, not as a mismatch.
function diff(a, b, where = '', out = { hard: [], tolerated: [] }) {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    if (a === b) return out;
    const leaf = where.split('.').pop();
    const line = `${where || '.'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
    if ((leaf === 'ex' || leaf === 'ey') && typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1.000001e-4) {
      out.tolerated.push(line);
    } else {
      out.hard.push(line);
    }
    return out;
  }
  if (Array.isArray(a) !== Array.isArray(b)) { out.hard.push(`${where}: array vs object`); return out; }
  if (Array.isArray(a) && a.length !== b.length) out.hard.push(`${where}: ${a.length} vs ${b.length} entries`);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) diff(a[k], b[k], `${where}${Array.isArray(a) ? `[${k}]` : `.${k}`}`, out);
  return out;
}
// Compares every pair of engines; prints MATCH / MISMATCH with a diff summary and returns the
// status for the summary table. With three engines, names the odd one out when two agree.
function compareAnswers(title, answers) {
  const names = Object.keys(answers).filter((e) => answers[e] !== undefined);
  if (names.length < 2) return { status: names.length ? `(only ${names[0]})` : '-' };
  const pairs = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) pairs.push([names[i], names[j], diff(answers[names[i]], answers[names[j]])]);
  }
  let tolerated = 0;
  if (pairs.every(([, , d]) => d.hard.length === 0 && d.tolerated.length === 0)) {
    console.log(`${title}: MATCH (${names.join(' = ')})`);
    return { status: 'MATCH' };
  }
  for (const [a, b, d] of pairs) {
    tolerated += d.tolerated.length;
    if (d.hard.length === 0) {
      console.log(`${title}: ${a} vs ${b}: MATCH${d.tolerated.length ? ` (ex/ey differ by one 1e-4 rounding unit in ${d.tolerated.length} places: ${d.tolerated.slice(0, 2).join('; ')})` : ''}`);
    } else {
      console.log(`${title}: ${a} vs ${b}: MISMATCH, ${d.hard.length} differing values${d.tolerated.length ? ` (+${d.tolerated.length} ex/ey within 1e-4)` : ''}:\n    ` +
        `${d.hard.slice(0, 10).join('\n    ')}${d.hard.length > 10 ? `\n    … ${d.hard.length - 10} more` : ''}`);
    }
  }
  const bad = pairs.filter(([, , d]) => d.hard.length);
  if (bad.length === 0) return { status: tolerated ? 'MATCH*' : 'MATCH' };
  const odd = names.length >= 3 && names.find((e) => bad.length === names.length - 1 && bad.every(([a, b]) => a === e || b === e));
  return { status: odd ? `MISMATCH (${odd} differs)` : `MISMATCH (${bad.map(([a, b]) => `${a}≠${b}`).join(', ')})` };
}

function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('   '));
}
function loadavg() { return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '); }

// ---------- main ----------

async function main() {
  const began = new Date();
  const loadBefore = loadavg();
  console.log(`bench/compare ${began.toISOString()}  events ${fmt(opt.events)}  seed ${opt.seed}  runs ${opt.runs}  engines ${opt.engines.join(',')}${opt.more ? '  --more' : ''}${opt.funnels ? '  --funnels' : ''}${opt.overview ? '' : '  --no-overview'}`);
  console.log(`host: ${execFileSync('uname', ['-srm'], { encoding: 'utf8' }).trim()}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores, ` +
    `${MB(Number(/MemTotal:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))[1]) * 1024)} RAM, node ${process.version}, load average ${loadBefore}`);
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
  const moreAnswers = {};  // engine -> query -> normalized answer
  const record = (engine, q, s) => { (timings[engine] ??= {})[q] = s; };
  const queries = overviewSql(big.name, from, to);
  // The page of the --more queries: --path, else the busiest page (the first engine's top page
  // by page views; the overview comparison below checks that every engine agrees on it).
  let pagePath = opt.path;
  let more = null;
  const moreFor = (overview) => {
    if (!opt.more || more) return more;
    pagePath ??= overview?.top_pages[0]?.path ?? '/';
    console.log(`  --more queries for path ${pagePath}${opt.path ? '' : overview ? ' (the busiest page by page views)' : ' (--no-overview: / unless --path)'}`);
    more = moreSql(big.name, from, to, pagePath);
    return more;
  };

  // --funnels: the definitions, once the first engine has named each funnel page's most clicked
  // selector (funnelDefs); the SQL of both dialects; the answers per engine.
  let funnels = null;
  const funnelAnswers = {};  // engine -> funnel -> normalized answer
  const funnelChecks = {};
  const funnelsFor = async (ctasOf) => {
    if (!opt.funnels || funnels) return funnels;
    const ctas = await ctasOf();
    for (const p of FUNNEL_PAGES) if (!ctas[p]) throw new Error(`--funnels: no clicks on ${p} to make a click step of`);
    const defs = funnelDefs(ctas);
    funnels = Object.fromEntries(Object.entries(defs).map(([q, def]) => [q, { def, sql: funnelSql(def, big.name, from, to) }]));
    console.log(`  funnels over ${from} .. ${to}, project ${big.name}, sequential, bots left out (step 1 on a day of the range, ` +
      'later steps followed for the whole window):');
    for (const [q, { def }] of Object.entries(funnels)) {
      console.log(`    ${q}: ${def.what}${q === 'funnel10' ? `\n      steps: ${def.steps.map(describeStep).join(' → ')}` : ''}`);
    }
    return funnels;
  };
  async function sqlFunnels(engine, rows) {
    const { clickhouse: ch, duckdb: dk } = whereClauses(big.name, from, to);
    const f = await funnelsFor(async () => Object.fromEntries(
      (await rows(CTA_SQL[engine](engine === 'clickhouse' ? ch : dk))).map((r) => [r.path, r.selector])));
    if (!f) return;
    if (!Object.keys(funnelChecks).length) {
      // Once, untimed, on the first SQL engine: what the SQL's exactness rests on (funnelChecksSql).
      const seen = new Map();
      for (const [q, { def }] of Object.entries(f)) {
        const key = JSON.stringify([def.steps, def.unit, def.window_ms, def.breakdown]);
        if (!seen.has(key)) seen.set(key, (await rows(funnelChecksSql(def, big.name, from, to, engine)))[0]);
        funnelChecks[q] = Object.fromEntries(Object.entries(seen.get(key)).map(([k, v]) => [k, Number(v)]));
        console.log(`  funnel check ${q} (${engine}): ${Object.entries(funnelChecks[q]).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
      }
    }
    funnelAnswers[engine] = {};
    for (const [q, { def, sql }] of Object.entries(f)) {
      const s = await timeIt(() => rows(sql[engine]));
      record(engine, q, s);
      funnelAnswers[engine][q] = funnelFromSql(def, s.answer);
    }
  }

  // ClickHouse and DuckDB: the overview's three queries one by one and back to back, then --more,
  // then --funnels.
  async function sqlEngine(engine, rows) {
    if (opt.overview) {
      const one = {};
      for (const [q, sql] of Object.entries(queries)) {
        const s = await timeIt(() => rows(sql[engine]));
        record(engine, q, s);
        one[q] = s.answer;
      }
      record(engine, 'overview', await timeIt(async () => {
        for (const sql of Object.values(queries)) await rows(sql[engine]);
      }));
      answers[engine] = overviewFromSql(one, from, to);
    }
    const m = moreFor(answers[engine]);
    if (m) {
      moreAnswers[engine] = {};
      for (const [q, spec] of Object.entries(m)) {
        const s = await timeIt(() => rows(spec[engine]));
        record(engine, q, s);
        if (s.answer.length === 0) console.log(`  ${q}: no rows on ${engine}, so the totals the rows carry are unknown (pick a --path with clicks)`);
        moreAnswers[engine][q] = spec.fromSql(s.answer);
      }
    }
    await sqlFunnels(engine, rows);
  }

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
      await sqlEngine('clickhouse', (sql) => clickhouse.rows(sql));
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
      await sqlEngine('duckdb', (sql) => duckdb.rows(sql));
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
      let requests = 0;
      if (opt.overview) {
        // One GET /api/overview answers series, totals and top pages together.
        const t = await timeIt(() => tapistry.overview(big.name, from, to));
        record('tapistry', 'overview', t);
        answers.tapistry = overviewFromApi(t.answer);
        requests += opt.runs + 2;
      }
      const m = moreFor(answers.tapistry);
      if (m) {
        moreAnswers.tapistry = {};
        for (const [q, spec] of Object.entries(m)) {
          const r = await timeIt(() => tapistry.get(big.name, spec.tapistry.endpoint, spec.tapistry.params, from, to));
          record('tapistry', q, r);
          moreAnswers.tapistry[q] = spec.fromTapistry(r.answer);
          requests += opt.runs + 2;
        }
      }
      // The funnels through POST /api/funnels/query (JSON parsed), as a dashboard asks them.
      const f = await funnelsFor(async () => {
        const ctas = {};
        for (const p of FUNNEL_PAGES) {
          ctas[p] = (await tapistry.get(big.name, '/api/elements', { path: p, limit: 1 }, from, to)).elements[0]?.selector;
        }
        return ctas;
      });
      if (f) {
        const probe = await tapistry.funnel(big.name, funnelBody(f.funnel4.def, '', from, to), true);
        if (probe.status === 404 || probe.status === 405) {
          console.log(`  POST /api/funnels/query: ${probe.status} — this binary has no funnels route, so tapistry's funnels are not timed`);
        } else {
          funnelAnswers.tapistry = {};
          for (const [q, { def }] of Object.entries(f)) {
            if (def.peersOnly) continue;
            const body = funnelBody(def, '', from, to);
            const r = await timeIt(() => tapistry.funnel(big.name, body));
            record('tapistry', q, r);
            funnelAnswers.tapistry[q] = funnelFromApi(def, r.answer);
            requests += opt.runs + 2;
          }
        }
      }
      const after = readProc(tapistry.serveProc.pid);
      console.log(`  serve RSS after ${requests} requests: ${MB(after.rss)} (peak ${MB(after.hwm)})`);
      await tapistry.stop();
    }
  } finally {
    if (!opt.keepClickhouse) await clickhouse.stop();
    await tapistry.stop();
    await duckdb.close();
  }

  section(`results (${began.toISOString().slice(0, 10)}, ${fmt(manifest.events)} events, project ${big.name}, ${from} .. ${to}` +
    `${more ? `, page ${pagePath}` : ''}; load average at start ${loadBefore})`);
  if (loads.length) {
    console.log('load:');
    printTable([['engine', 'events/s', 'seconds', 'B/event (parts)', 'B/event (du)', 'on disk'], ...loads]);
  }

  const anyAnswer = Object.values(answers)[0];
  if (anyAnswer) {
    console.log('\nanswer (overview):');
    console.log(`  totals: ${JSON.stringify(anyAnswer.totals)}`);
    console.log(`  series: ${anyAnswer.series.length} days, first ${JSON.stringify(anyAnswer.series[0])}, last ${JSON.stringify(anyAnswer.series.at(-1))}`);
    console.log('  top pages:');
    for (const t of anyAnswer.top_pages) console.log(`    ${t.path.padEnd(14)} ${String(t.pageviews).padStart(9)} pageviews ${String(t.sessions).padStart(9)} sessions`);
    console.log(`  generator says (bots included): ${big.pageviews} pageviews, ${big.sessions} sessions, ${big.visitors} visitors`);
  }
  const anyMore = Object.values(moreAnswers)[0];
  if (anyMore) {
    console.log(`answer (page ${pagePath}):`);
    const h = anyMore.heatmap_tiles, sc = anyMore.scroll_histogram, el = anyMore.top_elements, rf = anyMore.referrers;
    const busiest = Object.entries(h.tiles).sort((a, b) => b[1] - a[1])[0];
    const depths = Object.entries(sc.histogram);
    console.log(`  heatmap_tiles: ${h.tiles_count} non-zero tiles, total ${h.total} clicks, ${h.pageviews} page views, busiest tile (i,j) ${busiest?.[0]}: ${busiest?.[1]}`);
    console.log(`  scroll_histogram: ${sc.views} views over ${sc.histogram_count} depths, first ${depths[0]?.join(': ')}, last ${depths.at(-1)?.join(': ')}`);
    console.log(`  top_elements: ${el.elements.length} rows of ${el.total_clicks} clicks, first ${JSON.stringify(el.elements[0])}`);
    console.log(`  referrers: ${rf.rows.length} rows, total_visitors ${rf.total_visitors}, first ${rf.rows.slice(0, 3).map((r) => JSON.stringify(r)).join(' ')}`);
  }
  if (funnels) {
    console.log('answer (funnels, units per step):');
    for (const q of Object.keys(funnels)) {
      const a = Object.values(funnelAnswers).map((e) => e[q]).find(Boolean);
      if (!a) continue;
      console.log(`  ${q}: ${a.steps.map((u) => fmt(u)).join(' → ')}`);
      if (a.breakdown) {
        console.log(`    ${a.order.length} values; first ${a.order.slice(0, 4).map((v) => `${JSON.stringify(v)}: ${a.breakdown[v].join('/')}`).join(', ')}`);
      }
    }
  }

  console.log('\nanswers:');
  const status = { overview: compareAnswers('overview', answers) };
  for (const part of ['totals', 'series', 'top_pages']) {
    status[part] = compareAnswers(`  overview.${part}`, Object.fromEntries(Object.entries(answers).map(([e, a]) => [e, a[part]])));
  }
  if (more) for (const q of Object.keys(more)) {
    status[q] = compareAnswers(q, Object.fromEntries(Object.entries(moreAnswers).map(([e, a]) => [e, a[q]])));
  }
  if (funnels) for (const q of Object.keys(funnels)) {
    status[q] = compareAnswers(q, Object.fromEntries(Object.entries(funnelAnswers).map(([e, a]) => [e, a[q]])));
    const tied = funnelChecks[q]?.units_with_tied_steps;
    if (status[q].status.startsWith('MISMATCH') && tied) {
      console.log(`    (${fmt(tied)} units have events of different steps at one millisecond, where windowFunnel follows ` +
        'its read order and the contract allows either order: see funnelSql\'s comment)');
    }
  }

  // Side by side: one row per question. tapistry answers series, totals and top pages in its one
  // overview request, so its `overview` row is 1 request against the other engines' 3 queries.
  console.log(`\nside by side (ms, p50 / p95 of ${opt.runs} warm runs after 2 warm-ups; load average now ${loadavg()}):`);
  const engines = ['tapistry', 'clickhouse', 'duckdb'].filter((e) => timings[e]);
  const cell = (e, q) => {
    const s = timings[e]?.[q];
    if (s) return `${fmt(s.p50, 1)} / ${fmt(s.p95, 1)}`;
    return e === 'tapistry' && ['series', 'totals', 'top_pages'].includes(q) ? '(in overview)' : '-';
  };
  const qnames = [...(opt.overview ? ['series', 'totals', 'top_pages', 'overview'] : []), ...(more ? Object.keys(more) : []),
    ...(funnels ? Object.keys(funnels) : [])];
  const peerOnly = (e, q) => (e === 'tapistry' && funnels?.[q]?.def.peersOnly ? '(1 dimension)' : cell(e, q));
  printTable([['query', ...engines, 'answers'],
    ...qnames.map((q) => [q === 'overview' ? 'overview (tapistry 1 request, others 3 queries)' : q,
      ...engines.map((e) => peerOnly(e, q)), status[q]?.status ?? '-'])]);
  if (funnels && timings.tapistry) {
    // Issue 11's goal: tapistry at most half the best peer's time.
    const peers = engines.filter((e) => e !== 'tapistry');
    const lines = [];
    for (const q of Object.keys(funnels)) {
      const t = timings.tapistry[q];
      const best = peers.map((e) => [e, timings[e]?.[q]]).filter(([, x]) => x).sort((a, b) => a[1].p50 - b[1].p50)[0];
      if (!t || !best) continue;
      lines.push(`  ${q}: tapistry p50 ${fmt(t.p50, 1)} ms = ${fmt(t.p50 / best[1].p50, 2)} × ${best[0]}'s ${fmt(best[1].p50, 1)} ms ` +
        `(p95 ${fmt(t.p95 / best[1].p95, 2)} ×)${t.p50 <= best[1].p50 / 2 ? '' : '  — not within half'}`);
    }
    if (lines.length) console.log(`\ntapistry against the best peer per funnel (goal: ≤ 0.5 ×):\n${lines.join('\n')}`);
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
