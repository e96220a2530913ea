#!/usr/bin/env node
// Request smuggling / malformed framing against the real binary (security review, issue 14 items 6
// and 8): each case's raw bytes go down a fresh TCP connection; the server must answer exactly one
// response with the expected status and a JSON {"error","reason"}, then close — a request smuggled
// behind the body is never answered. Also the per-IP connection cap, set through the environment,
// and its exemption for --trusted-proxies.
// Usage: node e2e/http-framing.mjs [--bin build/tapistry]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const BIN = opt('bin', 'build/tapistry');
const CAP = 8;

const SMUGGLED = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
const POST = 'POST /i HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';
const bad = (reason) => ({ status: 400, error: 'bad_request', reason });
const te501 = { status: 501, error: 'not_implemented', reason: /Transfer-Encoding must be exactly 'chunked'/ };
const both = bad(/both Content-Length and Transfer-Encoding/);

const CASES = [
  ['TE: xchunked, smuggled GET in the body', `${POST}Transfer-Encoding: xchunked\r\n\r\n${SMUGGLED}`, te501],
  ['TE: chunked, identity', `${POST}Transfer-Encoding: chunked, identity\r\n\r\n${SMUGGLED}`, te501],
  ['TE: gzip, chunked', `${POST}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, te501],
  ['TE: identity', `${POST}Transfer-Encoding: identity\r\n\r\n${SMUGGLED}`, te501],
  ['two TE fields', `${POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, te501],
  ['TE: x then TE: chunked', `${POST}Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, te501],
  ['CL then TE (CL.TE)', `${POST}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, both],
  ['TE then CL (TE.CL)', `${POST}Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${SMUGGLED}`, both],
  ['TE: xchunked with CL', `${POST}Transfer-Encoding: xchunked\r\nContent-Length: 0\r\n\r\n${SMUGGLED}`, both],
  ['two different CL', `${POST}Content-Length: 0\r\nContent-Length: 37\r\n\r\n${SMUGGLED}`, bad(/more than one Content-Length/)],
  ['two equal CL', `${POST}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}${SMUGGLED}`, bad(/more than one Content-Length/)],
  ['CL list "2, 2"', `${POST}Content-Length: 2, 2\r\n\r\n{}${SMUGGLED}`, bad(/Content-Length must be one decimal number/)],
  ['CL: +2', `${POST}Content-Length: +2\r\n\r\n{}${SMUGGLED}`, bad(/Content-Length must be one decimal number/)],
  ['bare LF line endings', 'GET /healthz HTTP/1.1\nHost: x\n\n', bad(/bare LF/)],
  ['bare LF ending the header', `GET /healthz HTTP/1.1\r\nHost: x\r\n\n${SMUGGLED}`, bad(/bare LF/)],
  ['bare LF in a field', 'GET /healthz HTTP/1.1\r\nHost: x\nX: y\r\n\r\n', bad(/bare LF/)],
  ['bare CR', 'GET /healthz HTTP/1.1\r\nHost: x\rX: y\r\n\r\n', bad(/bare CR/)],
  ['NUL in the target', 'GET /heal\0thz HTTP/1.1\r\nHost: x\r\n\r\n', bad(/NUL/)],
  ['NUL in a header value', 'GET /healthz HTTP/1.1\r\nHost: x\0y\r\n\r\n', bad(/NUL/)],
  ['obs-fold hiding chunked', `${POST}Transfer-Encoding: x\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, bad(/folding/)],
  ['space before the colon', `${POST}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, bad(/malformed request/)],
  ['HTTP/0.9 request line', 'GET /healthz\r\n\r\n', bad(/HTTP\/0\.9/)],
  ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', bad(/HTTP version must be 1\.0 or 1\.1/)],
  ['HTTP/1.2', 'GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n', bad(/HTTP version must be 1\.0 or 1\.1/)],
  ['HTTP/3.0', 'GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n', bad(/HTTP version must be 1\.0 or 1\.1/)],
  ['TE in HTTP/1.0', `POST /i HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, bad(/HTTP\/1\.0/)],
  ['bare LF in a chunk size', `${POST}Transfer-Encoding: chunked\r\n\r\n2\n{}\r\n0\r\n\r\n${SMUGGLED}`, bad(/malformed chunked body/)],
  ['chunk size not hex', `${POST}Transfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n${SMUGGLED}`, bad(/malformed chunked body/)],
  ['TE in the chunked trailer', `${POST}Transfer-Encoding: chunked\r\n\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n${SMUGGLED}`,
    bad(/malformed chunked body/)],
];

function startServer(data, extra = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', data, '--demo', 'false',
      '--min-free-disk-mb', '1', '--header-timeout-ms', '3000', ...extra],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TAPISTRY_MAX_CONNS_PER_IP: String(CAP) } });
    let buf = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + buf)), 30000);
    proc.stderr.on('data', (d) => {
      buf += d.toString();
      const m = buf.match(/"url":"http:\/\/127\.0\.0\.1:(\d+)"/);
      if (m && !proc.port) { proc.port = Number(m[1]); clearTimeout(timer); resolve(proc); }
    });
    proc.on('exit', (code) => { if (!proc.port) { clearTimeout(timer); reject(new Error(`server exited ${code}: ${buf}`)); } });
  });
}

// One connection: sends `bytes`, collects what comes back until the server closes or `ms` pass.
function exchange(port, bytes, ms = 5000) {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const chunks = [];
    let closed = false;
    const timer = setTimeout(() => { sock.destroy(); finish(); }, ms);
    function finish() { clearTimeout(timer); resolve({ data: Buffer.concat(chunks), closed }); }
    sock.on('connect', () => sock.write(Buffer.from(bytes, 'latin1')));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {});  // a reset after the reply still counts as closed
    sock.on('close', () => { closed = true; finish(); });
  });
}

// Splits raw bytes into responses: [{status, headers, body}], plus bytes that are not one.
function parseResponses(buf) {
  const out = [];
  let rest = buf;
  while (rest.length) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.subarray(0, end).toString('latin1').split('\r\n');
    const m = lines[0].match(/^HTTP\/1\.[01] (\d{3}) /);
    if (!m) break;
    const headers = {};
    for (const l of lines.slice(1)) { const i = l.indexOf(':'); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
    const len = Number(headers['content-length'] || 0);
    if (rest.length < end + 4 + len) break;
    out.push({ status: Number(m[1]), headers, body: rest.subarray(end + 4, end + 4 + len).toString() });
    rest = rest.subarray(end + 4 + len);
  }
  return { responses: out, leftover: rest };
}

function check(name, got, want) {
  const { responses, leftover } = parseResponses(got.data);
  const problems = [];
  if (responses.length !== 1) problems.push(`${responses.length} responses`);
  if (leftover.length) problems.push(`unparsed bytes after the response: ${JSON.stringify(leftover.toString().slice(0, 80))}`);
  const r = responses[0];
  if (r) {
    if (r.status !== want.status) problems.push(`status ${r.status}, want ${want.status}`);
    if ((r.headers.connection || '').toLowerCase() !== 'close') problems.push('no Connection: close');
    let body = null;
    try { body = JSON.parse(r.body); } catch { problems.push(`body is not JSON: ${r.body}`); }
    if (body && body.error !== want.error) problems.push(`error ${body.error}, want ${want.error}`);
    if (body && !(typeof body.reason === 'string' && want.reason.test(body.reason))) {
      problems.push(`reason ${JSON.stringify(body.reason)} does not match ${want.reason}`);
    }
  }
  if (!got.closed) problems.push('connection left open');
  return problems;
}

// Opens `n` keep-alive connections, each with one GET /healthz; ok = it was answered 200.
async function holdConnections(port, n) {
  const held = [];
  for (let i = 0; i < n; i++) {
    held.push(await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write(SMUGGLED));
      s.once('data', (d) => resolve({ s, ok: d.toString().startsWith('HTTP/1.1 200') }));
      s.on('error', () => resolve({ s, ok: false }));
    }));
  }
  return held;
}

async function stop(proc) {
  if (proc.exitCode === null && !proc.signalCode) proc.kill('SIGTERM');
  await new Promise((r) => (proc.exitCode !== null || proc.signalCode ? r() : proc.on('exit', r)));
}

const data = mkdtempSync(join(tmpdir(), 'tap-framing-'));
const server = await startServer(data);
let passed = 0, failed = 0;
const report = (name, problems) => {
  if (problems.length) { failed++; console.log(`FAIL ${name}: ${problems.join('; ')}`); }
  else { passed++; console.log(`ok   ${name}`); }
};

try {
  for (const [name, bytes, want] of CASES) report(name, check(name, await exchange(server.port, bytes), want));

  // Control: sound requests pipelined on one keep-alive connection are each answered (whatever the
  // route says) and the connection stays open.
  const HEALTH = 'POST /healthz HTTP/1.1\r\nHost: x\r\n';
  const sound = `${SMUGGLED}${HEALTH}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n${HEALTH}Content-Length: 2\r\n\r\n{}`;
  const got = await exchange(server.port, sound, 1500);
  const { responses } = parseResponses(got.data);
  const refused = responses.filter((r) => r.status >= 500 || /"error":"(bad_request|not_implemented)"/.test(r.body));
  report('control: three pipelined sound requests', responses.length === 3 && !refused.length && !got.closed
    ? [] : [`${responses.length} responses (want 3), ${refused.length} refused, closed ${got.closed}`]);

  // Per-IP cap (TAPISTRY_MAX_CONNS_PER_IP): CAP connections are served, one more gets 503 + close.
  const held = await holdConnections(server.port, CAP);
  const heldOk = held.every((h) => h.ok);
  const over = await exchange(server.port, SMUGGLED);
  const capProblems = check('cap', over, { status: 503, error: 'too_many_connections', reason: /open connections from this address/ });
  if (!heldOk) capProblems.unshift(`not all ${CAP} connections under the cap were served`);
  report(`per-IP cap: connection ${CAP + 1} gets 503 and is closed`, capProblems);
  for (const h of held) h.s.destroy();
  let again = null;
  for (let i = 0; i < 50 && !(again && again.startsWith('HTTP/1.1 200')); i++) {
    await new Promise((r) => setTimeout(r, 40));
    again = (await exchange(server.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).data.toString();
  }
  report('per-IP cap: a connection works again once they close', again.startsWith('HTTP/1.1 200') ? [] : [again.slice(0, 80)]);

  // A trusted proxy carries everyone's connections: the cap does not apply to it.
  await stop(server);
  const proxied = await startServer(data, ['--trusted-proxies', '127.0.0.1']);
  const many = await holdConnections(proxied.port, CAP + 4);
  const served = many.filter((h) => h.ok).length;
  report(`per-IP cap: a --trusted-proxies peer may hold ${CAP + 4}`, served === CAP + 4 ? [] : [`${served} served`]);
  for (const h of many) h.s.destroy();
  await stop(proxied);
} finally {
  await stop(server);
  rmSync(data, { recursive: true, force: true });
}

console.log(`http framing: ${passed} passed, ${failed} failed`);
if (failed) process.exit(1);
