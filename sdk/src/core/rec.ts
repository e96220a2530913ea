// The hook of session replay (docs/replay.md): the project's replay settings come with the /i
// answers (transport.ts); on the first one, a session that is sampled — hash(session id) below the
// project's rate, lowered by the snippet's `replaySampleRate`, so the same session is in or out on
// every page load — with replay consent and not under DNT gets the recorder, a separate chunk,
// /v1/replay.js. Tiny on purpose: it ships in the ≤ 8 KB core; the chunk does the rest.

import { replayAllowed, sampled } from './consent';
import { cfg } from './config';
import { log, stats } from './env';
import { session } from './ids';
import { routeHooks } from './router';
import { page } from './events';
import { chunk } from './snap';

/** The replay settings of an /i answer (server: ingest_service.cc WriteReplaySettings). */
export interface ReplaySettings {
  rate: number;
  kb: number;
  allow: string[];
  mask: string[];
  ignore: string[];
}

let on = 0;

/** Called with every /i answer. */
export function rec(r?: ReplaySettings): void {
  // session(0): the current ids without counting activity
  if (on || !r || !replayAllowed() || !sampled(session(0).ids.s, Math.min(r.rate, cfg.replaySampleRate))) return;
  on = 1;
  // the context in the snapshot hook's order (snap.ts): gzip finds the repeat
  chunk('replay', { c: cfg, p: page, s: stats, l: log, h: routeHooks, r, o: replayAllowed, q: session });
}
