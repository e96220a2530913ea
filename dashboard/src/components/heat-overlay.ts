// What is drawn over the page: the click heatmap (canvas KDE), the scroll map (reach bands, the
// 100/75/50/25 % markers, the fold, a hover readout) or element mode (boxes and count badges pinned
// on the elements), plus the cursor tooltip. Sized in page pixels × the frame's display scale.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html';
import { renderHeatmap } from '../lib/heat-render';
import { countAt, fullColourAt, type HeatScale, type Spot } from '../lib/heat';
import { exact, short } from '../lib/format';
import { badgeColor, elementAt, fillColor, type Pinned } from '../lib/pin';
import { bandColor, type Fold, type Marker, reachAt } from '../lib/scroll';
import type { ClickKind, HeatView, Palette } from '../lib/url-state';
import type { Layout } from './page-frame';

export const KIND_UNIT: Record<ClickKind, [string, string]> = {
  clicks: ['click', 'clicks'],
  rage: ['rage click', 'rage clicks'],
  dead: ['dead click', 'dead clicks'],
};

export function plural(n: number, [one, many]: [string, string]): string {
  return `${exact(n)} ${n === 1 ? one : many}`;
}

export interface OverlayProps {
  layout: Layout;
  view: HeatView;
  kind: ClickKind;
  /** What the heat layer draws: element grid cells where the page lays the elements out, and document tiles. */
  spots: Spot[];
  opacity: number;
  palette: Palette;
  scale: HeatScale;
  reach?: number[];
  views?: number;
  markers?: Marker[];
  fold?: Fold;
  pinned?: Pinned[];
  highlight?: string;
  onHighlight?(hash: string | undefined): void;
  canvasRef?: { current: HTMLCanvasElement | null };
}

interface Tip {
  x: number;
  y: number;
  text: string;
  /** Heatmap: the element under the pointer and its own count, when it is one of the top elements. */
  el?: string;
}

/** "#cta · 90 clicks (44.1 %)", or its rage / dead count; long selectors are cut by CSS. */
function elementLine(p: Pinned, kind: ClickKind): string {
  const name = p.label || p.selector;
  if (kind === 'clicks') return `${name} · ${plural(p.clicks, KIND_UNIT.clicks)} (${(p.share * 100).toFixed(1)}%)`;
  return `${name} · ${plural(kind === 'rage' ? p.rage : p.dead, KIND_UNIT[kind])}`;
}

export function HeatOverlay(props: OverlayProps) {
  const { layout, view } = props;
  const W = layout.docW * layout.k;
  const H = layout.docH * layout.k;
  const canvas = useRef<HTMLCanvasElement>(null);
  const [tip, setTip] = useState<Tip | null>(null);
  const [hoverDepth, setHoverDepth] = useState<number | null>(null);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    if (props.canvasRef) props.canvasRef.current = c;
    if (view === 'heatmap') {
      renderHeatmap(c, props.spots, { cssWidth: W, cssHeight: H, dpr: window.devicePixelRatio || 1, palette: props.palette, opacity: props.opacity, scale: props.scale });
    } else if (view === 'scroll') {
      drawBands(c, props.reach ?? [], W, H);
    } else {
      const ctx = c.getContext('2d');
      c.width = c.height = 1;
      ctx?.clearRect(0, 0, 1, 1);
    }
  }, [view, props.spots, props.palette, props.opacity, props.scale, props.reach, W, H]);

  const onMove = (e: MouseEvent) => {
    const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const x = e.clientX - box.left;
    const y = e.clientY - box.top;
    if (view === 'heatmap') {
      // (within 6 px on screen of a small cell: the blob drawn around it is wider than the cell)
      const n = countAt(props.spots, x / W, y / H, 6 / W, 6 / H);
      const el = elementAt(props.pinned ?? [], x / layout.k, y / layout.k);
      setTip({
        x,
        y,
        text: n > 0 ? plural(n, KIND_UNIT[props.kind]) + ' here' : 'No ' + KIND_UNIT[props.kind][1] + ' here',
        el: el && elementLine(el, props.kind),
      });
    } else if (view === 'scroll' && props.reach && props.reach.length) {
      const d = (100 * y) / H;
      setHoverDepth(d);
      setTip({ x, y, text: `${reachAt(props.reach, d).toFixed(2)}% scrolled this far` });
    }
  };
  const onLeave = () => {
    setTip(null);
    setHoverDepth(null);
  };

  const inner = html`<div class=${'overlay view-' + view} style=${{ width: W + 'px', height: H + 'px' }}
      data-doc-w=${layout.docW} data-doc-h=${layout.docH} data-scale=${layout.k}
      onMouseMove=${layout.live ? undefined : onMove} onMouseLeave=${onLeave}>
      <canvas ref=${canvas} class="heat-canvas" aria-hidden="true"></canvas>
      ${view === 'scroll' && html`<${ScrollMarks} markers=${props.markers ?? []} fold=${props.fold} H=${H} hover=${hoverDepth} />`}
      ${view === 'elements' &&
      html`<${ElementBoxes} pinned=${props.pinned ?? []} k=${layout.k} highlight=${props.highlight} onHighlight=${props.onHighlight} />`}
      ${tip &&
      html`<div class=${'cursor-tip' + (tip.x > W - (tip.el ? 300 : 160) ? ' flip-x' : '') + (tip.y < (tip.el ? 60 : 40) ? ' flip-y' : '')} style=${{ left: tip.x + 'px', top: tip.y + 'px' }}>
        <span class="tip-count">${tip.text}</span>${tip.el && html`<span class="tip-el">on ${tip.el}</span>`}
      </div>`}
    </div>`;
  if (!layout.live) return inner;
  // Live: the page scrolls inside its frame; the overlay follows the scroll the snippet reports.
  return html`<div class="overlay-clip" style=${{ width: layout.vpW * layout.k + 'px', height: layout.vpH * layout.k + 'px' }}>
    <div style=${{ transform: `translate(${-layout.scrollX * layout.k}px, ${-layout.scrollY * layout.k}px)` }}>${inner}</div>
  </div>`;
}

function drawBands(c: HTMLCanvasElement, reach: number[], W: number, H: number): void {
  const dpr = window.devicePixelRatio || 1;
  const res = Math.min(1, 8000 / Math.max(1, H * dpr));
  c.width = Math.max(1, Math.round(W * dpr * res));
  c.height = Math.max(1, Math.round(H * dpr * res));
  c.style.width = W + 'px';
  c.style.height = H + 'px';
  const ctx = c.getContext('2d')!;
  ctx.clearRect(0, 0, c.width, c.height);
  if (reach.length < 101) return;
  for (let d = 0; d < 100; d++) {
    // edges rounded the same way on both sides: bands never overlap (semi-transparent overlaps show as lines)
    const y0 = Math.round((d / 100) * c.height);
    const y1 = Math.round(((d + 1) / 100) * c.height);
    if (y1 <= y0) continue;
    ctx.fillStyle = bandColor((reach[d]! + reach[d + 1]!) / 2);
    ctx.fillRect(0, y0, c.width, y1 - y0);
  }
}

function ScrollMarks(props: { markers: Marker[]; fold?: Fold; H: number; hover: number | null }) {
  return html`<div class="scroll-marks" aria-hidden="true">
    ${props.markers.map(
      (m) => html`<div class="scroll-line" style=${{ top: (m.depth / 100) * props.H + 'px' }} data-level=${m.level} data-depth=${m.depth}>
        <span class="scroll-chip">${m.level}%</span>
      </div>`,
    )}
    ${props.fold !== undefined &&
    html`<div class="scroll-line fold" style=${{ top: (props.fold.pct / 100) * props.H + 'px' }} data-fold=${props.fold.pct.toFixed(1)}
      data-fold-px=${props.fold.px} data-fold-average=${String(props.fold.average)}>
      <span class="scroll-chip">${props.fold.average ? `Average fold · ${props.fold.px} px` : 'Fold'}</span>
    </div>`}
    ${props.hover !== null && html`<div class="scroll-hover" style=${{ top: (props.hover / 100) * props.H + 'px' }}></div>`}
  </div>`;
}

function ElementBoxes(props: { pinned: Pinned[]; k: number; highlight?: string; onHighlight?(h: string | undefined): void }) {
  const max = props.pinned.reduce((a, p) => Math.max(a, p.clicks), 0);
  const k = props.k;
  return html`<div class=${'element-layer' + (props.highlight ? ' has-focus' : '')}>
    ${props.pinned.map(
      (p) => html`<div class=${'el-box' + (props.highlight === p.selector_hash ? ' focus' : '')} data-selector=${p.selector} data-hash=${p.selector_hash}
        style=${{ left: p.rect.x * k + 'px', top: p.rect.y * k + 'px', width: p.rect.w * k + 'px', height: p.rect.h * k + 'px', background: fillColor(p.clicks, max) }}
        onMouseEnter=${() => props.onHighlight?.(p.selector_hash)} onMouseLeave=${() => props.onHighlight?.(undefined)}
        title=${`#${p.rank} ${p.label ? p.label + ' · ' : ''}${p.selector}\n${exact(p.clicks)} clicks (${(p.share * 100).toFixed(1)}%)${p.rage ? ` · ${exact(p.rage)} rage` : ''}${p.dead ? ` · ${exact(p.dead)} dead` : ''}`}>
        <span class="el-dot" style=${{ left: (p.point.x - p.rect.x) * k + 'px', top: (p.point.y - p.rect.y) * k + 'px' }}></span>
      </div>`,
    )}
    ${props.pinned.map(
      (p) => html`<div class=${'el-badge' + (props.highlight === p.selector_hash ? ' focus' : '')} data-hash=${p.selector_hash}
        style=${{ left: p.badge.x * k + 'px', top: p.badge.y * k + 'px', background: badgeColor(p.clicks, max) }}>${short(p.clicks)}</div>
        ${(p.rage > 0 || p.dead > 0) &&
        html`<div class="el-flags" style=${{ left: p.rect.x * k + 'px', top: Math.max(0, p.rect.y * k - 11) + 'px' }}>
          ${p.rage > 0 && html`<span class="flag rage" title=${exact(p.rage) + ' rage clicks'}>rage ${short(p.rage)}</span>`}
          ${p.dead > 0 && html`<span class="flag dead" title=${exact(p.dead) + ' dead clicks'}>dead ${short(p.dead)}</span>`}
        </div>`}`,
    )}
  </div>`;
}

/**
 * The legend's right end, on the page and in the PNG: "10 clicks · log" or "9+ clicks"; with none
 * of that kind in the range, says so (not "0 … 1 dead click").
 */
export function legendTop(scale: number, mode: HeatScale, kind: ClickKind): string {
  if (!(scale > 0)) return 'no ' + KIND_UNIT[kind][1] + ' here';
  const top = fullColourAt(scale, mode);
  return mode === 'log' ? plural(top, KIND_UNIT[kind]) + ' · log' : `${exact(top)}+ ${KIND_UNIT[kind][1]}`;
}
