// Entry of the lazily loaded session recorder (dist/replay.js, served as /v1/replay.js). The core's
// hook (core/rec.ts) decided this session is recorded — sampled, with replay consent, not under
// DNT — and inserted this script with its context on the element (`.t`). Only this file imports
// the recorder: the core never does (sdk/README.md).

import { record, type ReplayContext } from './record';

const me = document.currentScript as (HTMLScriptElement & { t?: ReplayContext }) | null;
const ctx = me && me.t;
if (ctx) {
  try {
    record(ctx);
  } catch (e) {
    ctx.s.errors = (ctx.s.errors || 0) + 1;
    ctx.l('replay: error', e);
  }
}
