// The rules of the Settings page's masking preview (components/mask-preview.ts): which element of a
// page snapshot a recording would mask, leave out or show, under a project's draft replay
// selectors — the SDK's own rules (sdk/src/snapshot/policy.ts, walk.ts), decided here without a
// recorder:
//   - ignored: [data-tapistry-ignore] or an ignore selector. Wins over everything: the element is
//     an empty box of its size and nothing inside it is recorded (so nothing inside it is masked
//     or shown either). A snapshot already holds the site's own [data-tapistry-ignore] elements
//     as such boxes ([data-tapistry-placeholder="ignore"]).
//   - masked: [data-tapistry-mask] or a mask selector, with everything inside it — text masked
//     (same length), images replaced by boxes, even inside an allowed element and even when the
//     snippet sets maskText: false. Form fields are masked anywhere: a recording never holds
//     their value (typing is sent as its length in '*'s).
//   - shown: an allow selector, with everything inside it, except masked parts: mask wins over
//     allow (an allowed element inside a masked one stays masked: `overridden`).
// The SDK joins each list with ',' into one selector, and a selector the browser cannot parse
// matches nothing (policy.ts `matches`): one invalid selector turns its whole list off. The
// preview does the same, and says so.
// Pure functions over a DOM (the snapshot's document in its frame, or jsdom in the tests); the
// only mutation is `applyPreview`, on a copy the caller owns.
import { mask } from '../../../sdk/src/snapshot/mask';
import { looksMasked } from './label';

export type Treatment = 'masked' | 'ignored' | 'shown';
export type ListName = 'mask' | 'allow' | 'ignore';

export interface Lists {
  mask: string[];
  allow: string[];
  ignore: string[];
}

/** One list as the SDK will use it. */
export interface CompiledList {
  /** The selectors joined with ',' (what the SDK matches), or '' for none. */
  joined: string;
  /** Selectors the browser cannot parse. */
  invalid: string[];
  /** The joined selector cannot be parsed: the list matches nothing in a recording. */
  off: boolean;
  /** The selectors that parse, to name the one an element matched. */
  valid: string[];
}

export type Rules = Record<ListName, CompiledList>;

export interface Mark {
  el: Element;
  kind: Treatment;
  /** What put it there: a selector of the list (by text), a data-tapistry-* attribute, or 'form field'. */
  why: string;
}

export interface Plan {
  /** Outermost elements of each treatment, in document order (a mask inside a shown element is its own mark). */
  marks: Mark[];
  /** Elements an allow selector matches that stay masked (inside or matched by a mask rule). */
  overridden: Element[];
  counts: Counts;
}

export interface Counts {
  masked: number;
  /** of `masked`, the form fields (masked without a rule) */
  fields: number;
  ignored: number;
  shown: number;
}

export const IGNORE_ATTR = 'data-tapistry-ignore';
export const MASK_ATTR = 'data-tapistry-mask';
export const PLACEHOLDER_ATTR = 'data-tapistry-placeholder';

/** Whether `sel` parses as a selector in `doc`'s browser (an invalid one throws a SyntaxError). */
export function parses(doc: Document, sel: string): boolean {
  try {
    doc.createDocumentFragment().querySelector(sel);
    return true;
  } catch {
    return false;
  }
}

export function compileList(doc: Document, list: string[]): CompiledList {
  const sels = list.map((s) => s.trim()).filter(Boolean);
  const joined = sels.join(',');
  const invalid = sels.filter((s) => !parses(doc, s));
  return { joined, invalid, off: joined !== '' && !parses(doc, joined), valid: sels.filter((s) => !invalid.includes(s)) };
}

export function compileRules(doc: Document, lists: Lists): Rules {
  return { mask: compileList(doc, lists.mask), allow: compileList(doc, lists.allow), ignore: compileList(doc, lists.ignore) };
}

/** `el.matches` of a list's joined selector; never throws (as the SDK's). */
function matches(el: Element, l: CompiledList): boolean {
  if (!l.joined || l.off) return false;
  try {
    return el.matches(l.joined);
  } catch {
    return false;
  }
}

/** The first selector of the list that matches `el` (for "masked by .account"). */
function which(el: Element, l: CompiledList): string {
  for (const s of l.valid) {
    try {
      if (el.matches(s)) return s;
    } catch {
      // parsed alone, not here: ignore
    }
  }
  return '';
}

const NOT_FIELD = /^(?:hidden|submit|button|reset|image)$/;

/** A form field whose value a recording never holds (a button's label is text, not a value). */
export function isField(el: Element): boolean {
  const tag = el.localName;
  if (tag === 'textarea' || tag === 'select') return true;
  return tag === 'input' && !NOT_FIELD.test((el.getAttribute('type') || '').toLowerCase());
}

function ignoredBy(el: Element, r: Rules): string {
  if (el.hasAttribute(IGNORE_ATTR) || el.getAttribute(PLACEHOLDER_ATTR) === 'ignore') return IGNORE_ATTR;
  return matches(el, r.ignore) ? which(el, r.ignore) || r.ignore.joined : '';
}

function maskedBy(el: Element, r: Rules): string {
  if (el.hasAttribute(MASK_ATTR)) return MASK_ATTR;
  return matches(el, r.mask) ? which(el, r.mask) || r.mask.joined : '';
}

/**
 * What a recording does with each element of `body` (a document's <body>; its <html> counts as an
 * ancestor) under `rules`, walked as the SDK walks: top-down, masking inherited.
 */
export function plan(body: Element, rules: Rules): Plan {
  const marks: Mark[] = [];
  const overridden: Element[] = [];
  const counts: Counts = { masked: 0, fields: 0, ignored: 0, shown: 0 };
  const mark = (el: Element, kind: Treatment, why: string) => {
    marks.push({ el, kind, why });
    counts[kind]++;
    if (why === 'form field') counts.fields++;
  };
  // a rule on <html> is drawn on <body>, the page it covers
  const root = body.parentElement;
  const rootIgnored = root ? ignoredBy(root, rules) : '';
  const rootMasked = root ? maskedBy(root, rules) : '';
  const rootAllowed = !!root && matches(root, rules.allow);
  const visit = (el: Element, parentMasked: boolean, parentShown: boolean): void => {
    const top = el === body;
    const ign = ignoredBy(el, rules) || (top ? rootIgnored : '');
    if (ign) return mark(el, 'ignored', ign);
    const by = maskedBy(el, rules) || (top ? rootMasked : '');
    const masked = parentMasked || by !== '';
    const field = !masked && isField(el);
    const allowed = matches(el, rules.allow) || (top && rootAllowed);
    if (by && !parentMasked) mark(el, 'masked', by);
    else if (field) mark(el, 'masked', 'form field');
    // no allow rule shows what a mask rule hides, nor a field's value
    if (allowed && (masked || field)) overridden.push(el);
    else if (allowed && !parentShown) mark(el, 'shown', which(el, rules.allow) || (root && which(root, rules.allow)) || rules.allow.joined);
    const shown = parentShown || (allowed && !masked);
    for (let c = el.firstElementChild; c; c = c.nextElementSibling) visit(c, masked, shown);
  };
  visit(body, false, false);
  return { marks, overridden, counts };
}

/** Elements whose text is not page text. */
const NOT_TEXT = /^(?:style|script|noscript|template|textarea)$/;

/** Masks the text inside `el` as the SDK does (same length, same shape: sdk/src/snapshot/mask.ts). */
export function maskTextIn(el: Element): void {
  const doc = el.ownerDocument;
  const walker = doc.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (p && NOT_TEXT.test(p.localName)) continue;
    const t = n as Text;
    const m = mask(t.data);
    if (m !== t.data) t.data = m;
  }
}

/** An element's layout box (CSS px) and display, as the SDK measures a placeholder. */
export interface Box {
  w: number;
  h: number;
  display: string;
}

/**
 * Makes `p`'s elements (in a copy of the snapshot's body the caller owns) look as they will in a
 * recording: an ignored element emptied into a box of its size (`measure`d before anything
 * changes), the text inside masked elements masked, their images hidden (a recording has boxes).
 */
export function applyPreview(p: Plan, measure: (el: Element) => Box): void {
  const boxes = new Map<Element, Box>();
  for (const m of p.marks) if (m.kind === 'ignored') boxes.set(m.el, measure(m.el));
  for (const m of p.marks) {
    if (m.kind === 'masked') {
      maskTextIn(m.el);
      for (const img of Array.from(m.el.querySelectorAll('img'))) (img as HTMLElement).style?.setProperty('visibility', 'hidden');
      if (m.el.localName === 'img') (m.el as HTMLElement).style?.setProperty('visibility', 'hidden');
    } else if (m.kind === 'ignored') {
      const b = boxes.get(m.el)!;
      const el = m.el as HTMLElement;
      el.replaceChildren();
      if (!el.style) continue;
      if (b.display === 'none') {
        el.style.setProperty('display', 'none');
        continue;
      }
      if (b.display === 'inline') el.style.setProperty('display', 'inline-block');
      el.style.setProperty('width', b.w + 'px', 'important');
      el.style.setProperty('height', b.h + 'px', 'important');
      el.style.setProperty('box-sizing', 'border-box');
      el.style.setProperty('overflow', 'hidden');
    }
  }
}

/** "3 elements masked (2 form fields), 1 ignored, 2 shown". */
export function countsLine(c: Counts): string {
  const fields = c.fields > 0 ? ` (${c.fields === c.masked && c.masked > 0 ? (c.fields === 1 ? 'a form field' : 'all form fields') : `${c.fields} form field${c.fields === 1 ? '' : 's'}`})` : '';
  return `${c.masked} element${c.masked === 1 ? '' : 's'} masked${fields}, ${c.ignored} ignored, ${c.shown} shown`;
}

/** The lists as Settings names them (lib/admin.ts LABELS). */
export const LIST_LABEL: Record<ListName, string> = { mask: 'Masked selectors', allow: 'Unmasked selectors', ignore: 'Ignored selectors' };

/** What to say about a list's invalid selectors, or '' when it has none. */
export function listProblem(l: CompiledList): string {
  if (l.invalid.length === 0) return '';
  const one = l.invalid.length === 1;
  const what = `${l.invalid.map((s) => `“${s}”`).join(', ')} ${one ? 'is not a valid CSS selector' : 'are not valid CSS selectors'}`;
  // pieces that parse only together (the snippet reads the list as one selector)
  if (!l.off) return `${what} on ${one ? 'its' : 'their'} own; joined with the rest of the list it parses, but may not match what you meant.`;
  const others = l.valid.length;
  if (others === 0) return `${what}: ${one ? 'it matches' : 'they match'} nothing.`;
  const names = others <= 3 ? ` (${l.valid.join(', ')})` : '';
  return `${what}. While ${one ? 'it is' : 'they are'} in the list, the other ${others === 1 ? 'selector' : `${others} selectors`}${names} ${others === 1 ? 'does' : 'do'} not apply either: the snippet reads the list as one selector.`;
}

/**
 * Whether the snapshot's text was masked when captured (the snippet's default, lib/label.ts
 * `looksMasked`) or is real text (the snippet sets maskText: false). Undecided under 20 letters.
 */
export function capturedMasked(text: string): 'masked' | 'real' | 'unknown' {
  if ((text.match(/[\p{L}\p{N}]/gu) ?? []).length < 20) return 'unknown';
  return looksMasked(text) ? 'masked' : 'real';
}

/** The visible text of a document's body (not <style>, <script>…), for `capturedMasked`. */
export function bodyText(body: Element): string {
  const out: string[] = [];
  const walker = body.ownerDocument.createTreeWalker(body, 4);
  for (let n = walker.nextNode(); n && out.length < 2000; n = walker.nextNode()) {
    const p = n.parentElement;
    if (p && NOT_TEXT.test(p.localName)) continue;
    out.push((n as Text).data);
  }
  return out.join(' ');
}
