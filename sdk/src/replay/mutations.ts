// MutationRecords -> one rrweb mutation event (IncrementalSource.Mutation: adds, removes, texts,
// attributes), under the shared masking policy. Records are not replayed one by one: the touched
// nodes are compared with what the mirror recorded, so records gathered while the first snapshot
// was being walked (time-sliced: part of the page was walked before a change, part after) give
// the right result either way — a node the walk already recorded is not added twice, a node
// removed before the walk reached it is not removed.
//
// - removed: a recorded node that is no longer where it was recorded (detached or moved) —
//   removed from its recorded parent, its subtree forgotten;
// - added: a node in the page, not recorded, whose parent is recorded and no placeholder —
//   serialized with its subtree (in reverse document order, so a following sibling added in the
//   same batch is already there to be `nextId`);
// - attributes / text: the current value of a recorded node, through the policy;
// - a <style> whose text changed is replaced whole (its CSS is one masked text).

import { attrOf, kindOf, masks, type Policy, textOf, XHTML } from '../snapshot/policy';
import { walkNow } from '../snapshot/walk';
import { forget, type Mirror, nodeWalker, type SNode, TEXT } from './nodes';

export interface MutationData {
  source: 0;
  texts: Array<{ id: number; value: string }>;
  attributes: Array<{ id: number; attributes: Record<string, string | null> }>;
  removes: Array<{ parentId: number; id: number }>;
  adds: Array<{ parentId: number; nextId: number | null; node: SNode }>;
}

/** Whether `n`'s subtree is masked: inside a masked element (policy.ts `masks`). */
function maskedAt(n: Node | null, p: Policy): boolean {
  for (let e = n && (n.nodeType === 1 ? (n as Element) : n.parentElement); e; e = e.parentElement) {
    if (masks(e, false, p)) return true;
  }
  return false;
}

/** The element a node hangs from, across a shadow root boundary. */
function parentOf(n: Node): Node | null {
  const pn = n.parentNode;
  return pn && pn.nodeType === 11 ? (pn as ShadowRoot).host || null : pn;
}

/** The node's current parent is its recorded parent (it has not been moved or detached). */
function inPlace(m: Mirror, n: Node): boolean {
  const pa = parentOf(n);
  return !!pa && n.isConnected && m.id.get(pa) === m.parent.get(n);
}

export function mutations(recs: MutationRecord[], m: Mirror, p: Policy): MutationData | null {
  const d: MutationData = { source: 0, texts: [], attributes: [], removes: [], adds: [] };
  const removed = new Set<Node>();
  const added = new Set<Node>();
  const attrs = new Map<Element, Set<string>>();
  const texts = new Set<Node>();
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!;
    const t = r.target;
    // a <style>'s own text: the element is replaced (below)
    const st = t.nodeType === 3 ? t.parentNode : t;
    if (st && (st as Element).localName === 'style' && m.id.has(st)) {
      removed.add(st);
      added.add(st);
      continue;
    }
    if (r.type === 'attributes') {
      if (!attrs.has(t as Element)) attrs.set(t as Element, new Set());
      attrs.get(t as Element)!.add(r.attributeName!);
    } else if (r.type === 'characterData') texts.add(t);
    else {
      for (let j = 0; j < r.removedNodes.length; j++) removed.add(r.removedNodes[j]!);
      for (let j = 0; j < r.addedNodes.length; j++) added.add(r.addedNodes[j]!);
    }
  }
  // An element that is, or now must be, a placeholder (an ignore attribute added or removed, a
  // masked image's src changed): replaced whole.
  attrs.forEach((_, el) => {
    if (m.id.has(el) && (m.ph.has(el) || kindOf(el, el.namespaceURI === XHTML, maskedAt(el, p), p))) {
      removed.add(el);
      added.add(el);
      attrs.delete(el);
    }
  });
  /** ids removed in this batch: a node recorded below one of them went with it */
  const gone = new Set<number>();
  removed.forEach((n) => {
    const id = m.id.get(n);
    // replaced elements are removed even in place
    if (id === undefined || (inPlace(m, n) && !added.has(n))) return;
    const parentId = m.parent.get(n);
    if (parentId !== undefined && !gone.has(parentId)) d.removes.push({ parentId, id });
    forget(m, n, gone);
    // moved, not detached: added again below
    if (n.isConnected) added.add(n);
  });
  // reverse document order: following siblings first, children before parents (skipped then)
  const list = Array.from(added);
  list.sort((a, b) => (a === b ? 0 : a.compareDocumentPosition(b) & 4 ? 1 : -1));
  for (let i = 0; i < list.length; i++) {
    const n = list[i]!;
    const pa = parentOf(n);
    // a textarea's text is its value: never recorded
    if (!n.isConnected || !pa || m.id.has(n) || m.ph.has(pa) || (pa as Element).localName === 'textarea') continue;
    const parentId = m.id.get(pa);
    if (parentId === undefined) continue;
    let next = n.nextSibling;
    while (next && !m.id.has(next)) next = next.nextSibling;
    const nextId = next ? m.id.get(next)! : null;
    if (n.nodeType === 3) {
      const node: SNode = { type: TEXT, id: m.next++, textContent: textOf((n as Text).data, maskedAt(pa, p), p, n.parentElement) };
      m.id.set(n, node.id);
      m.parent.set(n, parentId);
      d.adds.push({ parentId, nextId, node });
    } else if (n.nodeType === 1) {
      const out: { node?: SNode } = {};
      walkNow(nodeWalker(n as Element, p, m, parentId, out, maskedAt(pa, p)));
      if (out.node) d.adds.push({ parentId, nextId, node: out.node });
    }
  }
  texts.forEach((n) => {
    const id = m.id.get(n);
    if (id !== undefined && n.isConnected) d.texts.push({ id, value: textOf(n.textContent || '', maskedAt(n, p), p, n.parentElement) });
  });
  attrs.forEach((names, el) => {
    const id = m.id.get(el);
    if (id === undefined || !el.isConnected) return;
    const html = el.namespaceURI === XHTML;
    const tag = el.localName;
    const masked = maskedAt(el, p);
    const out: Record<string, string | null> = {};
    let any = false;
    const type = html && tag === 'input' ? (el.getAttribute('type') || '').toLowerCase() : '';
    names.forEach((name) => {
      const v = el.getAttribute(name);
      const kept = v === null ? null : attrOf(el, tag, html, masked, name.toLowerCase(), v, type, p);
      // an attribute the policy leaves out is recorded as absent
      out[name] = kept;
      any = true;
    });
    if (any) d.attributes.push({ id, attributes: out });
  });
  return d.adds.length || d.removes.length || d.texts.length || d.attributes.length ? d : null;
}
