// The layout picker of the heatmaps page (issue 13, Hotjar's and Clarity's device tabs): Desktop /
// Tablet / Mobile with each one's page views, and the width buckets of the chosen device when it
// has several. A heatmap never mixes layouts: what is drawn is one device and one width, on the
// snapshot taken at that width.
import type { LayoutCount } from '../api/types';
import { html } from '../html';
import { exact } from '../lib/format';
import { deviceTabs, unplacedLayouts } from '../lib/layouts';
import { patch } from '../store';
import { DEVICE_LABEL, VW_LABEL } from './filters';

export function LayoutTabs(props: { layouts?: LayoutCount[]; device: string; vw: string }) {
  const tabs = deviceTabs(props.layouts ?? []);
  const cur = tabs.find((t) => t.device === props.device);
  const lost = unplacedLayouts(props.layouts ?? []);
  const views = (n: number) => `${exact(n)} ${n === 1 ? 'view' : 'views'}`;
  return html`<div class="layout-picker">
    <div class="layout-tabs segmented" role="tablist" aria-label="Layout">
      ${tabs.map(
        (t) => html`<button type="button" role="tab" aria-selected=${t.device === props.device} class=${t.device === props.device ? 'on' : ''}
          data-device=${t.device} title=${`${DEVICE_LABEL[t.device]}: ${views(t.views)}, ${exact(t.clicks)} clicks in this range`}
          onClick=${() => patch({ device: t.device, vw: t.widths[0]?.vw ?? '' })}>
          ${DEVICE_LABEL[t.device]} <span class="tab-count">${props.layouts ? exact(t.views) : '…'}</span>
        </button>`,
      )}
    </div>
    ${cur && cur.widths.length > 1 &&
    html`<div class="segmented width-tabs" role="radiogroup" aria-label="Viewport width">
      ${cur.widths.map(
        (w) => html`<button type="button" role="radio" aria-checked=${w.vw === props.vw} class=${w.vw === props.vw ? 'on' : ''} data-vw=${w.vw}
          title=${`${views(w.views)}, ${exact(w.clicks)} clicks`} onClick=${() => patch({ vw: w.vw })}>${VW_LABEL[w.vw]} <span class="tab-count">${exact(w.views)}</span></button>`,
      )}
    </div>`}
    ${lost.views + lost.clicks > 0 &&
    html`<span class="muted small" title="Events whose device or viewport width the browser did not report are in no layout">
      ${views(lost.views)} of unknown layout not shown</span>`}
  </div>`;
}
