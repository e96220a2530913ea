// Replays are a later issue: its page says what the feature will do and that this
// build does not have it yet. No sample data.
import { html } from '../html';
import { PageHeader } from '../components/shell';
import { Link } from '../components/link';
import type { AppState } from '../lib/url-state';

const TEXT = {
  replays: {
    title: 'Replays',
    lead: 'Watch real sessions, with text and inputs masked by default.',
    points: [
      'A list of sessions you can filter by date, page, device, country and duration, bots left out.',
      'A player in an isolated frame: timeline with clicks and page views, skip inactivity, speeds 0.5× to 16×, keyboard shortcuts.',
      'Links both ways with heatmaps: from a hotspot to the sessions that clicked it.',
    ],
  },
};

export function ComingSoon(props: { s: AppState; which: 'replays' }) {
  const t = TEXT[props.which];
  return html`<div class="page">
    <${PageHeader} title=${t.title} />
    <section class="card coming-soon" aria-labelledby="soon-h">
      <span class="badge">Not in this build yet</span>
      <h2 id="soon-h">${t.lead}</h2>
      <ul class="checklist">${t.points.map((p) => html`<li>${p}</li>`)}</ul>
      <p class="muted">${t.title} arrive in a later release of Tapistry. Nothing is recorded for them yet, so there is nothing to show here.
        Meanwhile: <${Link} to=${{ ...props.s, route: 'heatmaps' }}>see heatmaps<//> or <${Link} to=${{ ...props.s, route: 'overview' }}>the overview<//>.</p>
    </section>
  </div>`;
}
