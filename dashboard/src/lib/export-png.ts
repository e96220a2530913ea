// PNG export of the rendered heatmap: a light wireframe of the page (boxes of its elements, read
// from the snapshot frame; a browser cannot rasterize a cross-origin page), the overlay as drawn
// (heatmap or scroll bands), element badges, and a header with the page, range and legend.
import { paletteStops } from './heat';
import { badgeColor, type Pinned } from './pin';

export interface PngInput {
  docW: number;
  docH: number;
  doc?: Document;
  overlay?: HTMLCanvasElement | null;
  pinned?: Pinned[];
  title: string;
  subtitle: string;
  legend?: { palette: 'classic' | 'cb'; /** The right end's text, e.g. "10 clicks · log". */ label: string };
}

const HEADER = 64;

function wireframe(ctx: CanvasRenderingContext2D, doc: Document, s: number): void {
  const win = doc.defaultView;
  const els = doc.body ? doc.body.getElementsByTagName('*') : ([] as unknown as HTMLCollectionOf<Element>);
  const n = Math.min(els.length, 5000);
  ctx.lineWidth = 1;
  for (let i = 0; i < n; i++) {
    const el = els[i]!;
    const r = el.getBoundingClientRect();
    if (r.width < 4 || r.height < 4) continue;
    const x = (r.left + (win?.scrollX ?? 0)) * s;
    const y = (r.top + (win?.scrollY ?? 0)) * s + HEADER;
    const tag = el.tagName.toLowerCase();
    if (tag === 'img' || tag === 'video' || tag === 'svg' || tag === 'canvas' || tag === 'picture') {
      ctx.fillStyle = '#e5e7eb';
      ctx.fillRect(x, y, r.width * s, r.height * s);
    } else if (tag === 'button' || tag === 'a' || tag === 'input' || tag === 'select' || tag === 'textarea') {
      ctx.strokeStyle = '#9ca3af';
      ctx.strokeRect(x + 0.5, y + 0.5, r.width * s - 1, r.height * s - 1);
    } else if (/^(h[1-6]|p|li|label|span)$/.test(tag) && el.children.length === 0 && (el.textContent ?? '').trim()) {
      ctx.fillStyle = '#f1f2f5';
      ctx.fillRect(x, y + r.height * s * 0.2, r.width * s, r.height * s * 0.6);
    } else if (/^(header|footer|nav|section|aside|main|form)$/.test(tag)) {
      ctx.strokeStyle = '#e5e7eb';
      ctx.strokeRect(x + 0.5, y + 0.5, r.width * s - 1, r.height * s - 1);
    }
  }
}

export function composePng(p: PngInput): HTMLCanvasElement {
  const s = Math.min(1, 8000 / Math.max(1, p.docH), 4000 / Math.max(1, p.docW));
  const c = document.createElement('canvas');
  c.width = Math.max(320, Math.round(p.docW * s));
  c.height = Math.round(p.docH * s) + HEADER;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, c.width, c.height);
  if (p.doc) wireframe(ctx, p.doc, s);
  if (p.overlay && p.overlay.width > 1) ctx.drawImage(p.overlay, 0, HEADER, p.docW * s, p.docH * s);
  if (p.pinned?.length) {
    const max = p.pinned.reduce((a, x) => Math.max(a, x.clicks), 0);
    ctx.font = 'bold 13px ui-monospace, monospace';
    for (const e of p.pinned) {
      ctx.strokeStyle = 'rgba(220, 38, 38, 0.8)';
      ctx.strokeRect(e.rect.x * s, e.rect.y * s + HEADER, e.rect.w * s, e.rect.h * s);
      const label = String(e.clicks);
      const w = ctx.measureText(label).width + 10;
      ctx.fillStyle = badgeColor(e.clicks, max);
      ctx.fillRect(e.badge.x * s, e.badge.y * s + HEADER, w, 18);
      ctx.fillStyle = '#111827';
      ctx.fillText(label, e.badge.x * s + 5, e.badge.y * s + HEADER + 13);
    }
  }
  // header
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, c.width, HEADER);
  ctx.fillStyle = '#111827';
  ctx.font = '600 16px system-ui, sans-serif';
  ctx.fillText(p.title, 12, 24);
  ctx.fillStyle = '#4b5563';
  ctx.font = '13px system-ui, sans-serif';
  ctx.fillText(p.subtitle, 12, 46);
  if (p.legend && c.width > 420) {
    const x = c.width - 172;
    const g = ctx.createLinearGradient(x, 0, x + 160, 0);
    const stops = paletteStops(p.legend.palette);
    g.addColorStop(0, 'rgba(255,255,255,0)');
    for (const [t, col] of stops) g.addColorStop(t, col);
    ctx.fillStyle = g;
    ctx.fillRect(x, 20, 160, 8);
    ctx.fillStyle = '#4b5563';
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillText('0', x, 44);
    const m = p.legend.label;
    ctx.fillText(m, x + 160 - ctx.measureText(m).width, 44);
  }
  ctx.strokeStyle = '#e5e7eb';
  ctx.beginPath();
  ctx.moveTo(0, HEADER - 0.5);
  ctx.lineTo(c.width, HEADER - 0.5);
  ctx.stroke();
  return c;
}

export { download } from './csv';
