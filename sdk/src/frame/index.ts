// Entry of the lazily loaded live-frame chunk (dist/frame.js, served as /v1/frame.js). The core
// inserts it only when the page is framed (core/api.ts: `top != self`), with the core config on
// the element (`.t`); it answers the dashboard's live-overlay handshake (handshake.ts).

import { type FrameConfig, listen } from './handshake';

const me = document.currentScript as (HTMLScriptElement & { t?: FrameConfig }) | null;
const cfg = me && me.t;
if (cfg) listen(window, cfg);
