// Runs the real server (build/tapistry) for the end-to-end tests: a fresh data dir, one project
// whose allowed origin is the sample sites' static server, and `tapistry serve` on a free port.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = join(__dirname, '..', '..');
export const BINARY = process.env.TAPISTRY_BIN || join(REPO, 'build', 'tapistry');

export interface Project {
  project_id: string;
  public_key: string;
  read_token: string;
}

export interface Running {
  origin: string;
  project: Project;
  /** The data directory (for `tapistry signin-link --data`). */
  data: string;
  /** Everything the server printed so far (stdout and stderr). */
  log(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitUp(url: string, proc: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`tapistry serve exited with ${proc.exitCode}:\n${log()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tapistry serve did not answer ${url} within 10 s:\n${log()}`);
}

/** The project's replay sample rate (0..1); a running server applies it within 5 s. */
export function setReplayRate(data: string, projectId: string, rate: number): void {
  execFileSync(BINARY, ['project', 'settings', '--data', data, '--project', projectId, '--replay-sample-rate', String(rate)], {
    encoding: 'utf8',
  });
}

/**
 * `extraArgs(port)`: more flags for `tapistry serve`, given the port it will listen on (e.g.
 * --public-url, --smtp-host for the sign-in test).
 */
export async function startTapistry(siteOrigin: string, extraArgs: (port: number) => string[] = () => []): Promise<Running> {
  if (!existsSync(BINARY)) {
    throw new Error(`${BINARY} not found: build the server first (make build; it embeds sdk/dist)`);
  }
  const data = mkdtempSync(join(tmpdir(), 'tapistry-e2e-'));
  const out = execFileSync(BINARY, ['project', 'create', '--data', data, '--name', 'e2e', '--origin', siteOrigin], {
    encoding: 'utf8',
  });
  const project = JSON.parse(out.slice(out.indexOf('{'))) as Project;
  // Session replay off for the shared project, as before the recorder existed: the replay test
  // turns it on for itself (setReplayRate) and off again.
  setReplayRate(data, project.project_id, 0);
  const port = await freePort();
  let log = '';
  const proc = spawn(BINARY, ['serve', '--listen', `127.0.0.1:${port}`, '--data', data, ...extraArgs(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const origin = `http://127.0.0.1:${port}`;
  await waitUp(origin + '/healthz', proc, () => log);
  return {
    origin,
    project,
    data,
    log: () => log,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}
