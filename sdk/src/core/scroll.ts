// Scroll depth (DESIGN §5): `scroll_milestone` events as the bottom of the viewport first passes
// each configured depth, and exactly one `scroll` event per page view, when it ends (route change,
// hidden, pagehide), with props.max_depth_pct. That final event has an id fixed at the start of
// the page view, so even if it were sent twice the server would store it once.

import { cfg } from './config';
import { uuid } from './env';
import { emit } from './events';
import { dims, measure, onMeasure } from './layout';

let maxDepth = 0;
let fired: number[] = [];
let scrollId = '';
let ended = true;

/** Current depth: bottom of the viewport / document height, 0..100. */
export function depthNow(): number {
  if (dims.h <= 0 || dims.h <= dims.vh) return 100;
  return Math.max(0, Math.min(100, Math.round(((dims.sy + dims.vh) / dims.h) * 100)));
}

// While the document is still being parsed (an async snippet that was cached can run before the
// body exists) its height is not the page's: depth waits for the parse to end (the load event and
// the ResizeObserver measure again).
function update(): void {
  if (ended || document.readyState == 'loading') return;
  const d = depthNow();
  if (d > maxDepth) maxDepth = d;
  const ms = cfg.scroll.milestones;
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i]!;
    if (maxDepth >= m && fired.indexOf(m) < 0) {
      fired.push(m);
      emit('scroll_milestone', { props: { depth: m } });
    }
  }
}

/** A page view begins. */
export function startScroll(): void {
  maxDepth = 0;
  fired = [];
  scrollId = uuid();
  ended = false;
  measure();
}

/** The page view ends: one final scroll event (no-op when already sent). */
export function endScroll(): void {
  if (ended) return;
  measure();
  ended = true;
  emit('scroll', { id: scrollId, props: { max_depth_pct: maxDepth } });
}

onMeasure(update);
