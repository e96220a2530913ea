// The recorder's page copy (src/replay/nodes.ts, mutations.ts): rrweb nodes under the shared
// masking policy, and mutation events that, applied to the snapshot the way a player applies them,
// give the page as it is now — also when the page changed while the snapshot was being walked
// in slices. Runs on the minified internals in dist mode.
import { expect, test } from 'vitest';
import { internals, ORIGIN } from './load';

type SNode = {
  type: number;
  id: number;
  tagName?: string;
  attributes?: Record<string, string>;
  childNodes?: SNode[];
  textContent?: string;
  isStyle?: boolean;
};

/** Applies an rrweb mutation to a serialized tree as a strict player would (no reordering). */
function apply(root: SNode, d: any): void {
  const byId = new Map<number, SNode>();
  const index = (n: SNode) => {
    byId.set(n.id, n);
    (n.childNodes || []).forEach(index);
  };
  index(root);
  for (const r of d.removes) {
    const parent = byId.get(r.parentId);
    expect(parent, `remove: parent ${r.parentId}`).toBeTruthy();
    const i = parent!.childNodes!.findIndex((c) => c.id === r.id);
    expect(i, `remove: ${r.id} under ${r.parentId}`).toBeGreaterThanOrEqual(0);
    parent!.childNodes!.splice(i, 1);
  }
  for (const a of d.adds) {
    const parent = byId.get(a.parentId);
    expect(parent, `add: parent ${a.parentId}`).toBeTruthy();
    const kids = parent!.childNodes!;
    if (a.nextId === null) kids.push(a.node);
    else {
      const i = kids.findIndex((c) => c.id === a.nextId);
      expect(i, `add: next ${a.nextId}`).toBeGreaterThanOrEqual(0);
      kids.splice(i, 0, a.node);
    }
    index(a.node);
  }
  for (const t of d.texts) byId.get(t.id)!.textContent = t.value;
  for (const a of d.attributes) {
    const n = byId.get(a.id)!;
    for (const k in a.attributes) {
      if (a.attributes[k] === null) delete n.attributes![k];
      else n.attributes![k] = a.attributes[k];
    }
  }
}

/** The tree without ids: what the page looks like. */
function shape(n: SNode): unknown {
  return {
    t: n.type,
    tag: n.tagName,
    a: n.attributes,
    x: n.textContent,
    s: n.isStyle,
    c: (n.childNodes || []).map(shape),
  };
}

async function setup(body: string, opts: Record<string, unknown> = {}) {
  const { w, I } = await internals(`<!doctype html><html><head><title>T</title></head><body>${body}</body></html>`, ORIGIN + '/a');
  const doc = w.document as Document;
  const pol = I.snapshotPolicy.policy(doc, { maskText: false, queryAllowlist: [], ...opts });
  const snap = (m = I.replayNodes.newMirror()) => {
    const out: { node?: SNode } = {};
    I.snapshotWalk.walkNow(I.replayNodes.nodeWalker(doc, pol, m, 0, out));
    return { node: out.node!, m };
  };
  return { w, I, doc, pol, snap };
}

test('a full snapshot is rrweb nodes: unique ids, masked text, no form values, boxes for ignored parts', async () => {
  const { snap } = await setup(
    `<h1 title="Hi Jane">Hello Jane</h1><form><input id="e" value="jane@example.com"><input type="password" value="hunter2">` +
      `<textarea>my note</textarea></form><div data-tapistry-ignore><p>secret</p></div>` +
      `<div data-tapistry-mask><span>concealed</span></div><style>.a{color:red}</style><svg><circle r="1"/></svg><script>x=1</script>`,
    { maskText: true },
  );
  const { node } = snap();
  const json = JSON.stringify(node);
  const ids: number[] = [];
  const walk = (n: SNode) => {
    ids.push(n.id);
    (n.childNodes || []).forEach(walk);
  };
  walk(node);
  expect(new Set(ids).size).toBe(ids.length);
  expect(node.type).toBe(0);
  for (const word of ['Jane', 'jane', 'hunter2', 'my note', 'secret', 'concealed', 'x=1', 'Hello']) expect(json, word).not.toContain(word);
  expect(json).toContain('"textContent":"Xxxxx Xxxx"');
  expect(json).toContain('"title":"Xx Xxxx"');
  expect(json).toContain('"data-tapistry-placeholder":"ignore"');
  expect(json).toMatch(/"isStyle":true/);
  const find = (n: SNode, tag: string): SNode | undefined =>
    n.tagName === tag ? n : (n.childNodes || []).map((c) => find(c, tag)).find(Boolean);
  expect((find(node, 'circle') as { isSVG?: boolean }).isSVG).toBe(true);
  expect(find(node, 'h1')!.childNodes![0]!.textContent).toBe('Xxxxx Xxxx');
});

test('mutations applied to the snapshot give the page as it is now', async () => {
  const { w, I, doc, pol, snap } = await setup('<ul id="l"><li>a</li><li>b</li><li>c</li></ul><p id="p" class="x">text</p>');
  const { node, m } = snap();
  const mo = new w.MutationObserver(() => {});
  mo.observe(doc, { childList: true, subtree: true, attributes: true, characterData: true, attributeOldValue: true });
  const ul = doc.getElementById('l')!;
  ul.appendChild(doc.createElement('li')).textContent = 'd';
  ul.insertBefore(doc.createElement('li'), ul.firstChild).textContent = 'z';
  ul.removeChild(ul.children[2]!);
  ul.appendChild(ul.children[1]!); // a move
  doc.getElementById('p')!.firstChild!.textContent = 'changed';
  doc.getElementById('p')!.setAttribute('class', 'y');
  doc.getElementById('p')!.setAttribute('onclick', 'steal()');
  const div = doc.createElement('div');
  div.innerHTML = '<span>n1</span><input value="typed"><span data-tapistry-ignore>s</span>';
  doc.body.appendChild(div);
  const d = I.replayMutations.mutations(mo.takeRecords(), m, pol);
  apply(node, d);
  expect(shape(node)).toEqual(shape(snap().node));
  expect(JSON.stringify(d)).not.toContain('steal');
  expect(JSON.stringify(d)).not.toContain('typed');
});

test('a snapshot walked in slices while the page changes, plus its buffered mutations, is the page', async () => {
  // a deterministic PRNG: the same runs every time
  let seed = 42;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let run = 0; run < 25; run++) {
    let body = '';
    for (let i = 0; i < 30; i++) body += `<div id="d${i}" class="c${i % 3}"><span>s${i}</span>t${i}<b>x</b></div>`;
    const { w, I, doc, pol, snap } = await setup(body);
    const m = I.replayNodes.newMirror();
    const out: { node?: SNode } = {};
    const walker = I.replayNodes.nodeWalker(doc, pol, m, 0, out);
    const mo = new w.MutationObserver(() => {});
    mo.observe(doc, { childList: true, subtree: true, attributes: true, characterData: true, attributeOldValue: true });
    let done = false;
    let n = 0;
    const all = () => Array.from(doc.body.querySelectorAll('*')) as Element[];
    while (!done) {
      for (let k = rnd(20); k >= 0 && !done; k--) done = walker.step();
      const els = all();
      const el = els[rnd(els.length)];
      if (!el) continue;
      switch (rnd(6)) {
        case 0: {
          const e = doc.createElement(rnd(2) ? 'p' : 'section');
          e.innerHTML = `<i>new${n++}</i>tail`;
          el.insertBefore(e, rnd(2) ? el.firstChild : null);
          break;
        }
        case 1:
          if (el.parentNode && el !== doc.body) el.parentNode.removeChild(el);
          break;
        case 2: {
          const other = els[rnd(els.length)]!;
          if (!other.contains(el) && !el.contains(other)) other.appendChild(el);
          break;
        }
        case 3:
          if (el.firstChild && el.firstChild.nodeType === 3) (el.firstChild as Text).data = 'txt' + n++;
          else el.appendChild(doc.createTextNode('t' + n++));
          break;
        case 4:
          el.setAttribute('class', 'k' + n++);
          break;
        default:
          el.setAttribute('data-v', String(n++));
      }
    }
    const d = I.replayMutations.mutations(mo.takeRecords(), m, pol);
    if (d) apply(out.node!, d);
    expect(shape(out.node!), `run ${run}`).toEqual(shape(snap().node));
  }
});

test('allow, mask and ignore selectors from the project settings', async () => {
  const { snap } = await setup('<h1 class="pub">Public title</h1><p>Private text</p><div id="chat"><p>chat</p></div><p class="sec">x</p>', {
    maskText: true,
    allow: '.pub',
    ignore: '#chat',
  });
  const json = JSON.stringify(snap().node);
  expect(json).toContain('Public title');
  expect(json).not.toContain('Private');
  expect(json).not.toContain('"textContent":"chat"');
  expect(json).toContain('"data-tapistry-placeholder":"ignore"');
  const masked = await setup('<p class="sec">Account Jane</p><p>Other</p>', { maskText: false, mask: '.sec' });
  const j2 = JSON.stringify(masked.snap().node);
  expect(j2).not.toContain('Jane');
  expect(j2).toContain('Other');
});
