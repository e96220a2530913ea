// Element labels for the heatmap side panel and tooltips: what a person sees — the element's
// accessible name or visible text as the snapshot shows it — not only `nav.nav>a:nth-child(2)`.
// The snapshot's text is masked unless the site allows text (docs/sdk.md, Privacy), so a masked
// name is said to be masked rather than shown as "Xxxxx xxx".

const ROLE: Record<string, string> = { a: 'link', button: 'button', input: 'field', select: 'menu', textarea: 'field', summary: 'toggle', img: 'image', svg: 'icon', label: 'label' };
const MAX = 48;

function clean(t: string | null | undefined): string {
  return (t ?? '').replace(/\s+/g, ' ').trim();
}

/** The accessible name, approximately (aria-label, aria-labelledby, alt, title, button value, text). */
export function accessibleName(el: Element): string {
  const doc = el.ownerDocument;
  const aria = clean(el.getAttribute('aria-label'));
  if (aria) return aria;
  const by = el.getAttribute('aria-labelledby');
  if (by) {
    const t = clean(by.split(/\s+/).map((id) => doc.getElementById(id)?.textContent ?? '').join(' '));
    if (t) return t;
  }
  const tag = el.localName;
  if (tag === 'img' || (tag === 'input' && el.getAttribute('type') === 'image')) {
    const alt = clean(el.getAttribute('alt'));
    if (alt) return alt;
  }
  if (tag === 'input' && /^(submit|button|reset)$/.test(el.getAttribute('type') ?? '')) {
    const v = clean(el.getAttribute('value'));
    if (v) return v;
  }
  const text = clean(el.textContent);
  if (text) return text;
  const img = el.querySelector('img[alt]');
  if (img) return clean(img.getAttribute('alt'));
  return clean(el.getAttribute('title'));
}

/**
 * Text masked by the snippet (sdk/src/snapshot/mask.ts): capitals turned into X, digits into 0, wide
 * characters into 〇, every other letter into x with every fifth x of a run an i; whitespace and
 * ASCII punctuation kept.
 */
export function looksMasked(t: string): boolean {
  return /[Xx]/.test(t) && /^[Xx0\u3007\s!-/:-@[-`{-~]*$/.test(t.replace(/xxxxi/g, 'xxxxx'));
}

/** "link “Pricing”", "button (text masked)", "image “Team photo”", or "" when the element has no name. */
export function elementLabel(el: Element): string {
  const role = el.getAttribute('role') || ROLE[el.localName] || el.localName;
  const name = accessibleName(el);
  if (!name) return '';
  if (looksMasked(name)) return `${role} (text masked)`;
  return `${role} “${name.length > MAX ? name.slice(0, MAX - 1) + '…' : name}”`;
}
