// Optional mouse movement (off by default): the latest pointer position is sampled at most
// `mousemove.hz` times a second (capped at 10), as normalized document coordinates only.

import { cfg } from './config';
import { later, on, unit } from './env';
import { emit } from './events';
import { IGNORE } from './clicks';
import { dims } from './layout';

let last: { x: number; y: number; w: number; h: number } | undefined;
let timer = 0;

export function watchMoves(): void {
  on(window, 'mousemove', (e: MouseEvent) => {
    if (!cfg.mousemove.enabled) return;
    const t = e.target as Element | null;
    last = t && t.closest && t.closest(IGNORE) ? undefined : { x: e.pageX, y: e.pageY, w: dims.w, h: dims.h };
    if (!timer && last) {
      timer = later(() => {
        timer = 0;
        if (last && last.w > 0 && last.h > 0) emit('mousemove', { x: unit(last.x / last.w, 5), y: unit(last.y / last.h, 5) });
        last = undefined;
      }, 1000 / Math.max(1, Math.min(10, cfg.mousemove.hz)));
    }
  });
}
