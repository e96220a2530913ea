// Every `tapistry …` command the dashboard tells a user to run (in a <code> element or a
// backquoted hint) is run here against a fresh data dir, and must succeed: a screen must never
// name a command or a flag that does not exist (issue 13: an empty state said `tapistry project
// update`). DIR, ID and ${…} placeholders become the data dir and a real project id.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { BINARY, REPO } from './lib/tapistry-server';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The commands a screen prints, with the file each comes from. */
function printedCommands(): Array<{ file: string; cmd: string }> {
  const out: Array<{ file: string; cmd: string }> = [];
  for (const file of sources(join(REPO, 'dashboard', 'src'))) {
    // Comments aside, any "tapistry <command> …" up to the end of the code element or string.
    const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(/\btapistry ([a-z][a-z-]+(?: [^'`<>\n]*)?)/g)) {
      out.push({ file: file.slice(REPO.length + 1), cmd: ('tapistry ' + m[1]!).replace(/[.,;:)]+$/, '').trim() });
    }
  }
  return out;
}

const data = mkdtempSync(join(tmpdir(), 'tap-cmds-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

test('every command the dashboard prints exists and runs', () => {
  const created = JSON.parse(execFileSync(BINARY, ['project', 'create', '--data', data, '--name', 'cmds'], { encoding: 'utf8' }));
  const id: string = created.project_id;
  const cmds = printedCommands();
  // The screens print few commands now that Settings does the work (issue 12); the scan must still
  // find the ones left (the sign-in link, the heatmap live-mode fallback, …).
  expect(cmds.length).toBeGreaterThanOrEqual(3);
  const help = execFileSync(BINARY, ['--help'], { encoding: 'utf8' });
  const ran: string[] = [];
  for (const { file, cmd } of cmds) {
    const words = cmd
      .replace(/\$\{[^}]*\}/g, id)
      .match(/"[^"]*"|\S+/g)!
      .map((w) => w.replace(/^"(.*)"$/, '$1'))
      .slice(1)
      .map((w) => (w === 'DIR' ? data : w === 'ID' ? id : w));
    if (words[0] === 'serve') {
      // the server itself: it must be a documented command; it is not started here
      expect(help, `${file}: ${cmd}`).toContain('tapistry serve');
      continue;
    }
    if (!words.includes('--data')) words.push('--data', data);
    const r = spawnSync(BINARY, words, { encoding: 'utf8', timeout: 20000 });
    expect(r.status, `${file}: \`${cmd}\` exited ${r.status}: ${r.stderr}`).toBe(0);
    ran.push(cmd);
  }
  console.log(`ran ${ran.length} printed commands:\n  ${[...new Set(ran)].join('\n  ')}`);
});
