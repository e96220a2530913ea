// Entry of the lazily loaded snapshot chunk (dist/snapshot.js, served as /v1/snapshot.js). The
// core's hook (core/snap.ts) decided this page view should send a snapshot and inserted this
// script with its context on the element (`.t`): the config, the current page view, the stats
// counters and the debug log. Everything runs in idle slices and never throws into the page.

import { capture, type SnapContext } from './capture';

const me = document.currentScript as (HTMLScriptElement & { t?: SnapContext }) | null;
const ctx = me && me.t;
if (ctx) capture(ctx);
