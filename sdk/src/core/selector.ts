// CSS selector of a clicked element (spec §17.2): a unique id anchors it; otherwise each step is
// the tag plus a test/name/role attribute or up to two stable class names, with :nth-child(n) when
// a sibling would match the same step. At most 5 steps and 128 chars; never text content, never a
// PII-looking value, never a token that changes between page loads (hashed CSS-in-JS classes,
// framework-generated ids, state classes such as `active`). The result is checked for uniqueness
// in the document after every step, so it is as short as the DOM allows.

import { hasPii } from './pii';

const ATTRS = ['data-testid', 'data-test-id', 'data-test', 'data-cy', 'name', 'role'];
const IDENT = /^-?[a-z_][\w-]*$/i;
const STATE =
  /^(?:is-|has-)|^(?:active|hover|focus|selected|open|disabled|checked|visible|hidden|show|collapsed|expanded|current|loading)$/i;
const GENERATED = /^(?:css|sc|jsx|svelte|emotion|styled|ember|ng|mui|chakra|tw|x)-|\d{3}|__[\w-]*\d/i;
const MAX_LEN = 128;
const MAX_STEPS = 5;

/** True for class names and ids that are stable across page loads and builds. */
export function stableToken(t: string): boolean {
  return (
    t.length <= 40 &&
    IDENT.test(t) &&
    !STATE.test(t) &&
    !GENERATED.test(t) &&
    // a run of 5+ letters and digits mixed (content hashes like a1b2c3, 3xYz1)
    !t.split(/[-_]/).some((w) => w.length > 4 && /\d/.test(w) && /[a-z]/i.test(w)) &&
    !hasPii(t)
  );
}

function attrStep(el: Element): string {
  for (let i = 0; i < ATTRS.length; i++) {
    const a = ATTRS[i]!;
    const v = el.getAttribute(a);
    if (v && v.length <= 40 && !/["\\\s]/.test(v) && !/\d{3}/.test(v) && !hasPii(v)) {
      return '[' + a + '="' + v + '"]';
    }
  }
  return '';
}

function classStep(el: Element): string {
  let out = '';
  let n = 0;
  const list = el.classList;
  for (let i = 0; i < list.length && n < 2; i++) {
    const c = list[i]!;
    if (stableToken(c)) {
      out += '.' + c;
      n++;
    }
  }
  return out;
}

/** The selector of `el`; '' for a non-element. */
export function selectorOf(el: Element): string {
  const doc = el.ownerDocument;
  const steps: string[] = [];
  const plain: string[] = [];
  const unique = (sel: string): boolean => {
    try {
      return doc.querySelectorAll(sel).length === 1;
    } catch (e) {
      return false;
    }
  };
  for (let cur: Element | null = el; cur && steps.length < MAX_STEPS; cur = cur.parentElement) {
    const tag = cur.localName;
    if (tag === 'html' || tag === 'body') {
      steps.unshift(tag);
      plain.unshift(tag);
      break;
    }
    const id = cur.id;
    if (id && stableToken(id) && unique('#' + id)) {
      steps.unshift('#' + id);
      plain.unshift('#' + id);
      break;
    }
    let step = tag + (attrStep(cur) || classStep(cur));
    let nth = '';
    const parent: Element | null = cur.parentElement;
    if (parent) {
      const kids: HTMLCollection = parent.children;
      let twin = false;
      for (let i = 0; i < kids.length; i++) {
        const k: Element = kids[i]!;
        if (k === cur) nth = ':nth-child(' + (i + 1) + ')';
        else if (!twin && k.localName === tag && k.matches(step)) twin = true;
      }
      if (twin) step += nth;
    }
    steps.unshift(step);
    plain.unshift(tag + nth);
    if (unique(steps.join('>'))) break;
  }
  // Over the length cap: ancestors fall back to tag:nth-child (still unique under the same
  // anchor), then the target itself, and only then the outermost steps go.
  let sel = steps.join('>');
  for (let i = 0; sel.length > MAX_LEN && i < steps.length; i++) {
    steps[i] = plain[i]!;
    sel = steps.join('>');
  }
  while (sel.length > MAX_LEN && steps.length > 1) {
    steps.shift();
    sel = steps.join('>');
  }
  return sel.slice(0, MAX_LEN);
}
