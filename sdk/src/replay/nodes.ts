// The page as rrweb's serialized nodes (rrweb-snapshot's `serializedNodeWithId`: the format
// @rrweb/replay rebuilds), made by the shared walker (snapshot/walk.ts) under the shared masking
// policy (snapshot/policy.ts) — the rrweb sink of the walk. The mirror gives every recorded node
// an id and remembers its parent's id and whether it is a placeholder (an ignored or embedded
// element recorded as an empty box: nothing inside it is ever recorded).

import type { Policy } from '../snapshot/policy';
import { type Sink, walker, type Walker } from '../snapshot/walk';

/** rrweb-snapshot NodeType */
export const DOC = 0;
export const DOCTYPE = 1;
export const ELEMENT = 2;
export const TEXT = 3;

export interface SNode {
  type: number;
  id: number;
  tagName?: string;
  attributes?: Record<string, string>;
  childNodes?: SNode[];
  textContent?: string;
  isStyle?: boolean;
  isSVG?: boolean;
  isShadowHost?: boolean;
  isShadow?: boolean;
  name?: string;
  publicId?: string;
  systemId?: string;
}

export interface Mirror {
  /** node -> id */
  id: WeakMap<Node, number>;
  /** node -> its parent's id when recorded */
  parent: WeakMap<Node, number>;
  /** placeholders: recorded as empty boxes */
  ph: WeakSet<Node>;
  next: number;
}

export const newMirror = (next = 1): Mirror => ({ id: new WeakMap(), parent: new WeakMap(), ph: new WeakSet(), next });

/**
 * Forgets `n` and what was recorded below it — the children recorded as its children: one moved
 * in since is still recorded where it was, and is removed from there on its own record — adding
 * the ids to `gone`.
 */
export function forget(m: Mirror, n: Node, gone?: Set<number>): void {
  const id = m.id.get(n);
  if (id === undefined) return;
  m.id.delete(n);
  if (gone) gone.add(id);
  const kids = (p: Node | null | undefined): void => {
    for (let c = p && p.firstChild; c; c = c.nextSibling) if (m.parent.get(c) === id) forget(m, c, gone);
  };
  kids(n);
  kids((n as Element).shadowRoot);
}

const SVG = 'http://www.w3.org/2000/svg';

/**
 * A walker of `root` that builds its rrweb node into `out.node`, registering ids in `m` under
 * the parent id `parentId` (a document: its own root id).
 */
export function nodeWalker(root: Document | Element, p: Policy, m: Mirror, parentId: number, out: { node?: SNode }, masked = false): Walker {
  /** open elements, innermost last; `sh`: children now go into its shadow root */
  const stack: Array<{ n: SNode; sh: boolean }> = [];
  let style: SNode | undefined;
  const add = (dom: Node | null, n: SNode): void => {
    const top = stack[stack.length - 1];
    if (dom) {
      m.id.set(dom, n.id);
      m.parent.set(dom, top ? top.n.id : parentId);
    }
    if (!top) out.node = n;
    else {
      if (top.sh) n.isShadow = true;
      top.n.childNodes!.push(n);
    }
  };
  const sink: Sink = {
    dt(d) {
      add(d, { type: DOCTYPE, id: m.next++, name: d.name, publicId: d.publicId, systemId: d.systemId });
    },
    el(dom, tag, a, html, kids, _masked, ph) {
      const attributes: Record<string, string> = {};
      for (let i = 0; i < a.length; i++) attributes[a[i]![0]] = a[i]![1];
      const n: SNode = { type: ELEMENT, id: m.next++, tagName: tag, attributes, childNodes: [] };
      if (!html && dom && dom.namespaceURI === SVG) n.isSVG = true;
      add(dom, n);
      if (ph && dom) m.ph.add(dom);
      if (kids) stack.push({ n, sh: false });
      style = tag === 'style' ? n : undefined;
    },
    end() {
      stack.pop();
    },
    tx(dom, s) {
      add(dom, { type: TEXT, id: m.next++, textContent: s });
    },
    css(s) {
      if (!style) return;
      const kids = style.childNodes!;
      if (!kids.length) kids.push({ type: TEXT, id: m.next++, textContent: '', isStyle: true });
      kids[0]!.textContent += s;
    },
    sh(start) {
      const top = stack[stack.length - 1];
      if (!top) return;
      top.sh = start;
      if (start) top.n.isShadowHost = true;
    },
  };
  if (root.nodeType === 9) {
    // the document itself: its id is parentId's own slot
    const d: SNode = { type: DOC, id: m.next++, childNodes: [] };
    m.id.set(root, d.id);
    out.node = d;
    stack.push({ n: d, sh: false });
  }
  return walker(root, p, sink, masked);
}
