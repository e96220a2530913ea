// The selector generator (spec §17.2): examples, then fast-check properties over random DOM trees —
// the selector matches the element and only it (when the DOM allows within 5 steps), is the same
// after a "reload" that regenerates every dynamic token, is ≤ 128 chars and ≤ 5 steps, and never
// contains text.
import fc from 'fast-check';
import { JSDOM } from 'jsdom';
import { beforeAll, expect, test } from 'vitest';
import { internals } from './load';

let I: any;
beforeAll(async () => {
  I = (await internals()).I;
});

function sel(html: string, pick: string): string {
  const dom = new JSDOM(`<!doctype html><html><body>${html}</body></html>`);
  const el = dom.window.document.querySelector(pick)!;
  const s = I.selector.selectorOf(el);
  expect(dom.window.document.querySelectorAll(s).length, s).toBe(1);
  expect(dom.window.document.querySelector(s)).toBe(el);
  return s;
}

test('a unique stable id anchors the selector', () => {
  expect(sel('<div><button id="buy">Buy</button></div>', '#buy')).toBe('#buy');
  // the shortest selector that is unique wins
  expect(sel('<nav id="top"><ul><li><a>x</a></li><li><a class="go">y</a></li></ul></nav>', '.go')).toBe('a.go');
  const twoLists = '<ul><li><a>x</a></li><li><a>y</a></li></ul>';
  expect(sel(`<nav id="top">${twoLists}</nav>${twoLists}`, '#top li:nth-child(2) a')).toBe('#top>ul>li:nth-child(2)>a');
});

test('framework-generated, duplicated or PII ids are not used', () => {
  expect(sel('<main><p id=":r1:">x</p></main>', 'p')).toBe('p');
  expect(sel('<main><p id="ember1234">a</p><p>b</p></main>', '#ember1234')).toBe('p:nth-child(1)');
  expect(sel('<i id="a"></i><i id="a" class="second"></i>', '.second')).toBe('i.second');
  expect(sel('<b id="jane@doe.com"></b><b></b>', 'b')).toBe('b:nth-child(1)');
});

test('test ids, name and role come before classes', () => {
  expect(sel('<div><button data-testid="add-to-cart" class="btn">Add</button><button>x</button></div>', '[data-testid]')).toBe(
    'button[data-testid="add-to-cart"]',
  );
  expect(sel('<form><input name="q"><input name="page"></form>', '[name=q]')).toBe('input[name="q"]');
  expect(sel('<div role="dialog"><span></span></div><div></div>', '[role=dialog]')).toBe('div[role="dialog"]');
});

test('dynamic and state classes are stripped, stable ones kept (at most two)', () => {
  expect(sel('<a class="css-1x2y3z nav-link sc-bdVaJa is-active">x</a><a>y</a>', 'a')).toBe('a.nav-link');
  expect(sel('<a class="Button_primary__3xYz1 active card">x</a><a>y</a>', 'a')).toBe('a.card');
  expect(sel('<a class="one two three">x</a><a>y</a>', 'a')).toBe('a.one.two');
});

test('nth-child separates siblings that look the same', () => {
  expect(sel('<ul><li>a</li><li>b</li><li class="x">c</li><li>d</li></ul>', 'li:nth-child(4)')).toBe('li:nth-child(4)');
  expect(sel('<ul><li class="x">a</li><li class="x">b</li></ul><ul><li class="x">c</li></ul>', 'ul:nth-child(1) li:nth-child(2)')).toBe(
    'li.x:nth-child(2)',
  );
  expect(sel('<ul><li class="x">a</li><li class="x">b</li></ul><ul><li class="x">c</li><li class="x">d</li></ul>', 'ul:nth-child(2) li:nth-child(2)')).toBe(
    'ul:nth-child(2)>li.x:nth-child(2)',
  );
});

test('never longer than 128 characters or 5 steps', () => {
  const tag = 'x-a-very-long-custom-element-name';
  let html = '<span class="target">t</span>';
  for (let i = 0; i < 8; i++) html = `<${tag}></${tag}><${tag} data-testid="long-test-id-value-number-x">${html}</${tag}>`;
  const dom = new JSDOM(`<body>${html}</body>`);
  const s = I.selector.selectorOf(dom.window.document.querySelector('.target')!);
  expect(s.length).toBeLessThanOrEqual(128);
  expect(s.split('>').length).toBeLessThanOrEqual(5);
  expect(dom.window.document.querySelector('.target')!.matches(s)).toBe(true);
});

// ---- properties over random trees ----

interface Spec {
  tag: string;
  id: string | null; // '' = dynamic id
  testid: string | null;
  classes: string[]; // '' entries = dynamic class
  text: string;
  children: Spec[];
}

const TAGS = ['div', 'span', 'a', 'button', 'li', 'section', 'p'];
const STABLE_IDS = ['main', 'nav', 'cta', 'search', 'footer'];
const CLASSES = ['card', 'btn', 'btn-primary', 'menu__item', 'hero', 'title', 'list'];
const TEXTS = ['zebra', 'quokka', 'walrus', 'narwhal'];

function specArb(depth: number): fc.Arbitrary<Spec> {
  return fc.record({
    tag: fc.constantFrom(...TAGS),
    id: fc.option(fc.oneof(fc.constantFrom(...STABLE_IDS), fc.constant('')), { freq: 3 }),
    testid: fc.option(fc.constantFrom('buy', 'row', 'add-to-cart'), { freq: 4 }),
    classes: fc.array(fc.oneof(fc.constantFrom(...CLASSES), fc.constant('')), { maxLength: 3 }),
    text: fc.constantFrom(...TEXTS),
    children: depth ? fc.array(specArb(depth - 1), { maxLength: depth > 3 ? 3 : 1 }) : fc.constant([]),
  });
}
const treeArb = fc.array(specArb(6), { minLength: 1, maxLength: 3 });

/** Dynamic tokens as real frameworks make them; `seed` changes them all, like a reload. */
function dynamicToken(rand: () => number, kind: number): string {
  const b36 = () => Math.floor(rand() * 36 ** 6).toString(36).padStart(6, '0');
  switch (kind % 5) {
    case 0:
      return 'css-' + b36();
    case 1:
      return 'sc-' + 'abcdefgh'[Math.floor(rand() * 8)] + 'dVaJa';
    case 2:
      return 'Button_root__' + b36().slice(0, 4) + '9';
    case 3:
      return 'ember' + (100 + Math.floor(rand() * 9000));
    default:
      return 'a' + Math.floor(rand() * 1e6) + 'f' + b36();
  }
}

function render(specs: Spec[], seed: number): string {
  let s = seed || 1;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  let k = 0;
  const one = (n: Spec): string => {
    const cls = n.classes.map((c) => c || dynamicToken(rand, k++)).join(' ');
    const id = n.id === null ? '' : ` id="${n.id || ':r' + Math.floor(rand() * 999).toString(36) + ':'}"`;
    const tid = n.testid ? ` data-testid="${n.testid}"` : '';
    return `<${n.tag}${id}${tid}${cls ? ` class="${cls}"` : ''}>${n.text}${n.children.map(one).join('')}</${n.tag}>`;
  };
  return specs.map(one).join('');
}

// A fresh document per run: jsdom's selector engine caches :nth-child positions per document and
// can serve stale ones after body.innerHTML is replaced.
const host = new JSDOM('<!doctype html><body></body>').window.document;
const fresh = (html: string): Document => {
  const d = host.implementation.createHTMLDocument('');
  d.body.innerHTML = html;
  return d;
};

test('property: matches its element, unique when reachable, ≤ 128 chars, ≤ 5 steps, no text, stable across reloads', () => {
  fc.assert(
    fc.property(treeArb, fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 1e9 }), (specs, seedA, seedB) => {
      const a = fresh(render(specs, seedA));
      const b = fresh(render(specs, seedB));
      const elsA = Array.from(a.body.querySelectorAll('*'));
      const elsB = Array.from(b.body.querySelectorAll('*'));
      expect(elsA.length).toBe(elsB.length);
      elsA.forEach((el, i) => {
        const s = I.selector.selectorOf(el);
        expect(s.length).toBeLessThanOrEqual(128);
        expect(s.split('>').length).toBeLessThanOrEqual(5);
        expect(el.matches(s)).toBe(true);
        for (const t of TEXTS) expect(s).not.toContain(t);
        let depth = 0;
        for (let p: Element | null = el; p && p !== a.body; p = p.parentElement) depth++;
        if (depth <= 4) expect(a.querySelectorAll(s).length, s).toBe(1);
        expect(I.selector.selectorOf(elsB[i]!), 'reload').toBe(s);
      });
    }),
    { numRuns: 80 },
  );
});
