// Replays the issue 14 red-team findings against a real `tapistry` binary, over HTTP, and prints
// one line per finding: "fixed" or "OPEN" with what the server did. Run it against any build to
// see which findings it has (the closing note ran it on the pre-fix binary and on this one):
//   node e2e/redteam-issue14.mjs [path/to/tapistry]      (default build/tapistry)
// Exits non-zero when a finding is open. Findings 8 (EMFILE) and 9 (the dashboard's snapshot view)
// are shown by e2e/http-framing.mjs and e2e/dashboard-security.test.ts; 6 is replayed here too.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { request } from 'node:http';

const BIN = process.argv[2] || join(import.meta.dirname, '..', 'build', 'tapistry');
const data = mkdtempSync(join(tmpdir(), 'tap-redteam-'));
const port = await new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const n = s.address().port;
    s.close(() => res(n));
  });
});
const base = `http://127.0.0.1:${port}`;
const site = 'https://shop.example';
const run = (...a) => execFileSync(BIN, a, { encoding: 'utf8' });
const p = JSON.parse(run('project', 'create', '--data', data, '--name', 'rt', '--origin', site).trim().split('\n').pop());
run('project', 'settings', '--data', data, '--project', p.project_id, '--rate-project-rps', '5', '--rate-ip-rps', '2', '--origin', site);
const srv = spawn(BIN, ['serve', '--data', data, '--listen', `0.0.0.0:${port}`, '--trusted-proxies', '127.0.0.1', '--demo', 'false'], { stdio: 'ignore' });
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(base + '/healthz')).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}

const results = [];
const report = (n, fixed, what) => {
  results.push(fixed);
  console.log(`finding ${n}: ${fixed ? 'fixed' : 'OPEN '}  ${what}`);
};
const snap = (url, html = '<html><body>x</body></html>') =>
  JSON.stringify({ k: p.public_key, url, viewport: { w: 1440, h: 900 }, doc: { w: 1440, h: 3000 }, h: 1, html });
const ev = (n, extra = {}) => ({
  id: `6a0b7c2d-1e2f-4a3b-8c4d-${String(n).padStart(12, '0')}`, ts: Date.now(), type: 'page_view',
  session_id: '2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1', anonymous_id: '91d3a1b2-c3d4-4e5f-8a9b-0c1d2e3f4aaa',
  url: site + '/pricing', viewport: { w: 1440, h: 900 }, ...extra,
});
const postI = (events, headers = {}) =>
  fetch(base + '/i', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Project-Key': p.public_key, ...headers }, body: JSON.stringify({ events }) });
const bearer = { Authorization: 'Bearer ' + p.read_token };
const q = `project_id=${p.project_id}`;

// 1. A snapshot of an attacker's page, posted with the public key and no Origin.
{
  const r = await fetch(base + '/s?k=' + p.public_key, { method: 'POST', body: snap('https://attacker.example/pricing') });
  const back = await (await fetch(`${base}/api/snapshot?${q}&path=/pricing`, { headers: bearer })).text();
  report(1, r.status === 403 && !back.includes('attacker'), `POST /s of https://attacker.example/pricing without Origin → ${r.status}; stored: ${back.includes('attacker')}`);
}
// 2. Work before the key; amplification of the stored form.
{
  const r = await fetch(base + '/s?gz=1&k=pk_nope', { method: 'POST', body: 'x'.repeat(100000) });
  // '<' (six bytes once JSON-escaped) with a random letter after each: gzips ~15x, within the ratio cap
  let html = '';
  for (let i = 0; i < 700000; i++) html += Math.random() < 0.5 ? '<a' : '<b';
  const body = snap(site + '/big', html);
  const s = await fetch(`${base}/s?gz=1&k=${p.public_key}`, { method: 'POST', body: gzipSync(body) });
  const size = (d) => readdirSync(d).reduce((n, f) => { const x = join(d, f); const st = statSync(x); return n + (st.isDirectory() ? size(x) : st.size); }, 0);
  const stored = size(join(data, 'blobs'));
  const ratio = stored / body.length;
  report(2, r.status === 401 && ratio <= 2, `unknown key + a body that is not gzip → ${r.status} (401 = refused before inflating); ${body.length} B snapshot (${s.status}) stored as ${stored} B = ${ratio.toFixed(2)}×`);
}
// 3. One IP past its limit starves the project.
{
  for (let i = 0; i < 20; i++) await postI([ev(100 + i)], { 'X-Forwarded-For': '203.0.113.9' });
  const other = await postI([ev(200)], { 'X-Forwarded-For': '198.51.100.7' });
  report(3, other.status === 200, `after one IP sent 20 requests at 2/s, another visitor's request → ${other.status}`);
}
// 4. Bookmarklet tokens: scope, sign-out, lifetime.
{
  const link = run('signin-link', '--data', data, '--listen', `127.0.0.1:${port}`).match(/\/auth\/signin\?token=\S+/)[0];
  const si = await fetch(base + link, { redirect: 'manual' });
  const cookie = (si.headers.get('set-cookie') || '').split(';')[0];
  const me = await (await fetch(base + '/api/me', { headers: { Cookie: cookie } })).json();
  const t = await (await fetch(base + '/api/bookmarklet-token', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': me.csrf, 'Content-Type': 'application/json' }, body: JSON.stringify({ project_id: p.project_id }) })).json();
  const bt = { Authorization: 'Bearer ' + t.token, Origin: 'https://attacker.example' };
  const events = await fetch(`${base}/api/events?${q}`, { headers: bt });
  const cors = events.headers.get('access-control-allow-origin');
  await fetch(base + '/auth/signout', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': me.csrf } });
  const after = await fetch(`${base}/api/heatmap?${q}&path=/`, { headers: bt });
  const minutes = (t.expires_at - Date.now()) / 60000;
  report(4, events.status === 403 && !cors && after.status === 401 && minutes <= 15.1,
    `token reads /api/events → ${events.status} (CORS ${cors ? 'allowed' : 'none'}); heatmap after sign-out → ${after.status}; lasts ${minutes.toFixed(1)} min`);
}
// 5. Millisecond ranges overflowing a 32-bit day number.
{
  // 2^32 days later than 2001-09-09 wraps to the same 32-bit day number
  const wrap = String(1e12 + 2 ** 32 * 86400000);
  const r = await fetch(`${base}/api/events?${q}&from=${wrap}&to=1000000000000`, { headers: bearer });
  const b = await fetch(`${base}/api/breakdown?${q}&dimension=page&from=1000000000000&to=${wrap}`, { headers: bearer });
  report(5, r.status === 400 && b.status === 400, `events from=${wrap} (year ~11.8 million) → ${r.status}; breakdown to=${wrap} → ${b.status}`);
}
// 6. Transfer-Encoding: xchunked — the body read as a second request.
{
  const raw = `POST /i HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`;
  const reply = await new Promise((res) => {
    let got = '';
    const s = connect(port, '127.0.0.1', () => s.write(raw));
    s.on('data', (d) => (got += d));
    s.on('close', () => res(got));
    s.on('error', () => res(got));
    setTimeout(() => (s.destroy(), res(got)), 3000);
  });
  const answers = (reply.match(/HTTP\/1\.1 \d{3}/g) || []).length;
  report(6, answers === 1 && /^HTTP\/1\.1 (400|501)/.test(reply), `xchunked: ${answers} response(s), first "${reply.split('\r\n')[0]}"`);
}
// 7. CSV formula injection behind a leading space or tab.
{
  await new Promise((r) => setTimeout(r, 1500)); // the project's 5/s bucket refills
  const posted = await postI([ev(300, { session_id: '3c2e1d7f-0b8a-4a5f-9e2d-2b3c4d5e6f70', anonymous_id: 'a2e4b3c5-d6e7-4f80-9a1b-2c3d4e5f6a7b', utm: { source: ' =HYPERLINK("https://attacker.example")' } })], { 'X-Forwarded-For': '198.51.100.8' });
  if (posted.status !== 200) console.log('  (finding 7: the event was not stored: ' + posted.status + ' ' + (await posted.text()) + ')');
  const csv = await (await fetch(`${base}/api/breakdown?${q}&dimension=utm_source&format=csv`, { headers: bearer })).text();
  const line = csv.split('\r\n').find((l) => l.includes('HYPERLINK')) || '';
  report(7, line.startsWith("\"'") || line.startsWith("'"), `CSV cell: ${JSON.stringify(line.slice(0, 40) || csv.slice(0, 200))}`);
}
// 10. GET /s tells anyone with the key which pages were visited; Secure from any X-Forwarded-Proto.
{
  await fetch(base + '/s?k=' + p.public_key, { method: 'POST', body: snap(site + '/secret') });
  const w = await (await fetch(`${base}/s?k=${p.public_key}&u=${encodeURIComponent(site + '/secret')}&w=1440&h=12345`)).text();
  const link = run('signin-link', '--data', data, '--listen', `127.0.0.1:${port}`).match(/\/auth\/signin\?token=\S+/)[0];
  // from 127.0.0.2: a peer that is not a trusted proxy (only 127.0.0.1 is)
  const setCookie = await new Promise((res, rej) => {
    const req = request(base + link, { localAddress: '127.0.0.2', headers: { 'X-Forwarded-Proto': 'https' } }, (r) => {
      r.resume();
      res(String(r.headers['set-cookie'] || ''));
    });
    req.on('error', rej);
    req.end();
  });
  const secure = /;\s*Secure/i.test(setCookie);
  const limit = await fetch(`${base}/api/events?${q}&limit=10abc`, { headers: bearer });
  report(10, w.includes('true') && !secure && limit.status === 400,
    `GET /s for a stored page with a guessed hash → ${w}; Secure from an untrusted peer: ${secure}; limit=10abc → ${limit.status}`);
}

srv.kill('SIGTERM');
await new Promise((r) => srv.once('exit', r));
rmSync(data, { recursive: true, force: true });
const open = results.filter((x) => !x).length;
console.log(`issue 14 red team: ${results.length - open} fixed, ${open} open`);
process.exit(open ? 1 : 0);
