// The date-range picker: presets with their single-letter shortcuts (Plausible), a custom range,
// ◀ ▶ to move by one period (▶ disabled when the range ends today), and the compare toggle.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html';
import { canShift, type DayRange, PERIODS, periodLabel, shift } from '../lib/dates';
import { range as fmtRange } from '../lib/format';
import type { AppState } from '../lib/url-state';
import { patch } from '../store';
import { Icon } from './icons';

export function openCustomPicker(): void {
  window.dispatchEvent(new CustomEvent('tapistry:custom-range'));
}

export function DatePicker(props: { s: AppState; range: DayRange; now: number }) {
  const { s, range, now } = props;
  const [open, setOpen] = useState(false);
  const [custom, setCustom] = useState(false);
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const onCustom = () => {
      setFrom(range.from);
      setTo(range.to);
      setCustom(true);
      setOpen(true);
    };
    window.addEventListener('tapistry:custom-range', onCustom);
    return () => window.removeEventListener('tapistry:custom-range', onCustom);
  }, [range.from, range.to]);
  useEffect(() => {
    if (!open) return;
    const onDoc = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('mousedown', onDoc);
    document.addEventListener('keydown', onKey, true);
    const first = root.current?.querySelector<HTMLElement>('[aria-checked="true"], .menu button, input');
    first?.focus();
    return () => {
      document.removeEventListener('mousedown', onDoc);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [open, custom]);

  const today = new Date(now).toISOString().slice(0, 10);
  const label = periodLabel(s.period, range, fmtRange);
  const move = (dir: -1 | 1) => {
    const r = shift(range, dir, now);
    patch({ period: 'custom', from: r.from, to: r.to });
  };
  return html`<div class="date-picker" ref=${root}>
    <div class="btn-group">
      <button type="button" class="btn btn-icon" aria-label="Previous period" title="Previous period (←)" onClick=${() => move(-1)}><${Icon} name="left" /></button>
      <button type="button" class="btn date-button" ref=${button} aria-haspopup="true" aria-expanded=${open}
        title=${fmtRange(range.from, range.to) + ' (UTC)'}
        onClick=${() => {
          setCustom(false);
          setOpen(!open);
        }}><${Icon} name="calendar" size=${16} /><span>${label}</span></button>
      <button type="button" class="btn btn-icon" aria-label="Next period" title="Next period (→)" disabled=${!canShift(range, 1, now)} onClick=${() => move(1)}><${Icon} name="right" /></button>
    </div>
    ${open &&
    html`<div class="popover date-popover" role="dialog" aria-label="Date range">
      ${!custom &&
      html`<div class="menu" role="menu">
        ${PERIODS.map(
          (p) => html`<button type="button" role="menuitemradio" aria-checked=${s.period === p.id} class="menu-item"
            onClick=${() => {
              patch({ period: p.id, from: '', to: '' });
              setOpen(false);
            }}><span>${p.label}</span><kbd>${p.key.toUpperCase()}</kbd></button>`,
        )}
        <button type="button" role="menuitemradio" aria-checked=${s.period === 'custom'} class="menu-item"
          onClick=${() => {
            setFrom(range.from);
            setTo(range.to);
            setCustom(true);
          }}><span>Custom range…</span><kbd>C</kbd></button>
      </div>`}
      ${custom &&
      html`<form class="custom-range" onSubmit=${(e: Event) => {
        e.preventDefault();
        if (!from || !to) return;
        const [a, b] = from <= to ? [from, to] : [to, from];
        patch({ period: 'custom', from: a, to: b });
        setOpen(false);
      }}>
        <label>From <input type="date" value=${from} max=${today} required onInput=${(e: Event) => setFrom((e.target as HTMLInputElement).value)} /></label>
        <label>To <input type="date" value=${to} max=${today} required onInput=${(e: Event) => setTo((e.target as HTMLInputElement).value)} /></label>
        <p class="hint">Days are UTC. At most 400 days.</p>
        <div class="row-end">
          <button type="button" class="btn" onClick=${() => setCustom(false)}>Back</button>
          <button type="submit" class="btn btn-primary">Apply</button>
        </div>
      </form>`}
    </div>`}
  </div>`;
}

export function shiftRange(range: DayRange, dir: -1 | 1, now: number): void {
  if (!canShift(range, dir, now)) return;
  const r = shift(range, dir, now);
  patch({ period: 'custom', from: r.from, to: r.to });
}
