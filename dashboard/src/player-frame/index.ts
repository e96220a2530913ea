// The replay player frame (/app/player.html). Runs in a sandboxed frame under a CSP that lets
// nothing load from the network but this script, its stylesheet and the recording's stylesheets,
// images and fonts from the server's replay asset route (no fetch at all). It receives the
// recording's events from the dashboard by postMessage, makes their DOM inert
// (lib/replay-sanitize.ts), points their asset URLs at that route (lib/replay-assets.ts) and
// rebuilds them with @rrweb/replay in an inner frame whose sandbox is
// allow-same-origin only, so nothing of the recording ever runs as script. Reports the first
// frame, the playing time and seeks back to the dashboard, which draws every control.
import { Replayer } from '@rrweb/replay';
import '@rrweb/replay/dist/style.css';
import './player.css';
import type { FromFrame, ToFrame } from '../lib/player-messages';
import { sanitizeEvent } from '../lib/replay-sanitize';
import { type ReplayAssetContext, rewriteEventAssets } from '../lib/replay-assets';

// Our own origin (the server's): a sandboxed document's location still says where it came from.
const parentOrigin = new URL(location.href).origin;
const root = document.getElementById('player') as HTMLElement;
let replayer: Replayer | null = null;
let playing = false;
let started = false;
let size = { width: 0, height: 0 };
/** Where the recording's assets come from: the project's replay asset route on our origin. */
let assets: ReplayAssetContext = { projectId: '', self: parentOrigin };
const prepare = (e: Parameters<typeof sanitizeEvent>[0]) => rewriteEventAssets(sanitizeEvent(e), assets);

function send(m: FromFrame): void {
  parent.postMessage(m, parentOrigin);
}

function fit(): void {
  const wrapper = root.querySelector('.replayer-wrapper') as HTMLElement | null;
  if (!wrapper || !size.width || !size.height) return;
  const s = Math.min(innerWidth / size.width, innerHeight / size.height);
  wrapper.style.transform = `translate(${(innerWidth - size.width * s) / 2}px, ${(innerHeight - size.height * s) / 2}px) scale(${s})`;
}

/** The playing time; rrweb's clock reads nonsense before the first play, so it is bounded. */
function now(): number {
  if (!replayer || !started) return 0;
  const t = replayer.getCurrentTime();
  return Number.isFinite(t) ? Math.max(0, Math.min(t, replayer.getMetaData().totalTime)) : 0;
}

function tick(): void {
  if (replayer) send({ t: 'time', at: now(), playing });
  setTimeout(tick, playing ? 100 : 500);
}

function handle(m: ToFrame): void {
  if (m.t === 'load') {
    replayer?.destroy();
    started = false;
    assets = { projectId: m.project, self: parentOrigin };
    replayer = new Replayer(m.events.map(prepare) as any, {
      root,
      speed: m.speed,
      skipInactive: false, // the dashboard skips idle stretches itself (it draws them)
      showWarning: false,
      showDebug: false,
      mouseTail: { strokeStyle: 'rgba(79,70,229,0.6)', lineWidth: 2, duration: 800 },
      triggerFocus: false,
      // the live page's scripts never run here: keep the inner frame allow-same-origin only
      UNSAFE_replayCanvas: false,
    });
    replayer.on('resize', (d: any) => {
      size = { width: Number(d?.width) || 0, height: Number(d?.height) || 0 };
      fit();
    });
    replayer.on('fullsnapshot-rebuilded', () => {
      fit();
      send({ t: 'frame' });
    });
    replayer.on('finish', () => {
      playing = false;
      send({ t: 'end' });
    });
    return;
  }
  if (!replayer) return;
  switch (m.t) {
    case 'add':
      for (const e of m.events) replayer.addEvent(prepare(e) as any);
      break;
    case 'play':
      replayer.play(m.at ?? now());
      started = true;
      playing = true;
      break;
    case 'pause':
      if (m.at === undefined) replayer.pause();
      else replayer.pause(m.at);
      if (m.at !== undefined) started = true;
      playing = false;
      break;
    case 'seek': {
      // rrweb rebuilds the last full snapshot before `at` and applies what follows it, at once
      const w0 = performance.now();
      if (m.play) replayer.play(m.at);
      else replayer.pause(m.at);
      const work = performance.now() - w0;
      started = true;
      playing = m.play;
      const id = m.id;
      requestAnimationFrame(() => send({ t: 'seeked', id, at: m.at, work }));
      break;
    }
    case 'speed':
      replayer.setConfig({ speed: m.v });
      break;
  }
  send({ t: 'time', at: now(), playing });
}

addEventListener('message', (e: MessageEvent) => {
  if (e.source !== parent || e.origin !== parentOrigin) return;
  const m = e.data as ToFrame;
  if (!m || typeof m !== 'object' || typeof m.t !== 'string') return;
  try {
    handle(m);
  } catch (err) {
    send({ t: 'error', message: String((err as Error)?.message ?? err).slice(0, 300) });
  }
});
addEventListener('resize', fit);
tick();
send({ t: 'ready' });
