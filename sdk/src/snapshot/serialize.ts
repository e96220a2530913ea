// The masked DOM serializer behind heatmap snapshots (docs/sdk.md "Snapshots"): static HTML the
// dashboard can render without the customer's site — no script, no handler, nothing that
// navigates, every asset URL absolute, all text masked, form values gone, [data-tapistry-ignore]
// subtrees and embedded content (iframes, canvas, video…) replaced by boxes of the same size,
// [data-tapistry-mask] subtrees masked even when maskText is off. The walk and the masking policy
// are shared with session replay (walk.ts, policy.ts); this file is the HTML sink of the walk,
// and time-sliceable like it (idle.ts).

import { BIG_DATA_URL, policy, type PolicyOptions } from './policy';
import { type Sink, walker } from './walk';

export { BIG_DATA_URL, PLACEHOLDER_SELECTOR } from './policy';

export type SerializeOptions = PolicyOptions;

export interface Size {
  w: number;
  h: number;
}

export interface Serialized {
  /** The HTML in pieces (joined, or streamed into the compressor, by the sender). */
  parts: string[];
  /** Indices of pieces that go first when over the size cap: srcset attributes, big data: URLs. */
  heavy: number[];
  viewport: Size;
  /** The document's scroll size. */
  doc: Size;
}

export interface Serializer {
  /** Does one unit of work; true when the snapshot is complete. */
  step(): boolean;
  result: Serialized;
}

const escAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
const escText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** In HTML a </style> inside CSS would end the element; in SVG the text is parsed as markup. */
const fixHtml = (s: string): string => s.replace(/<\/(style)/gi, '<\\/$1');

export function serializer(doc: Document, o: SerializeOptions): Serializer {
  const win = doc.defaultView || window;
  const se = doc.scrollingElement || doc.documentElement;
  const result: Serialized = {
    parts: [],
    heavy: [],
    viewport: { w: Math.round(win.innerWidth), h: Math.round(win.innerHeight) },
    doc: { w: Math.round(se.scrollWidth), h: Math.round(se.scrollHeight) },
  };
  const parts = result.parts;
  /** the namespace of each open <style>: its CSS is escaped for HTML or for SVG */
  let styleHtml = true;
  const out = (s: string, heavy?: boolean): void => {
    if (heavy || (s.length > 1024 && s.indexOf('data:') >= 0)) result.heavy.push(parts.length);
    parts.push(s);
  };
  const sink: Sink = {
    dt(dt) {
      out('<!DOCTYPE ' + dt.name + (dt.publicId ? ' PUBLIC "' + dt.publicId + '"' : '') +
        (dt.systemId ? (dt.publicId ? '' : ' SYSTEM') + ' "' + dt.systemId + '"' : '') + '>');
    },
    el(n, tag, a, html) {
      out('<' + tag);
      // the walker's own <style> carries a bare marker attribute
      for (let i = 0; i < a.length; i++) {
        const k = a[i]![0];
        out(n ? ' ' + k + '="' + escAttr(a[i]![1]) + '"' : ' ' + k, n !== null && k.toLowerCase() === 'srcset');
      }
      out('>');
      if (tag === 'style') styleHtml = html;
    },
    end(tag) {
      out('</' + tag + '>');
    },
    tx(_, s) {
      out(escText(s));
    },
    css(s) {
      out(styleHtml ? fixHtml(s) : escText(s));
    },
    sh(start) {
      out(start ? '<template shadowrootmode="open">' : '</template>');
    },
  };
  const w = walker(doc, policy(doc, o), sink);
  return { step: w.step, result };
}
/** Runs a serializer to the end in one go (tests, and pages small enough not to need slicing). */
export function serializeNow(doc: Document, o: SerializeOptions): Serialized {
  const s = serializer(doc, o);
  while (!s.step()) {
    // one unit at a time
  }
  return s.result;
}

/** The lighter version of a heavy piece: no srcset, no big data: URLs. */
export function lighten(part: string): string {
  return /^ [^=]*srcset="/i.test(part) ? '' : part.replace(BIG_DATA_URL, '');
}
