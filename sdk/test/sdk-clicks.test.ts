// Clicks: normalization (DESIGN §5), selector and hash, ignore, double-click debounce, rage and dead
// clicks, buttons, taps, and no layout reads inside the handler.
import { expect, test } from 'vitest';
import { makePage, type Page } from './load';

const HTML = `<!doctype html><html><head><title>T</title><script data-project="pk_test" src="https://ingest.test/v1.js"></script></head>
<body><main>
  <button id="buy">Buy <svg><path d="M0 0"></path></svg></button>
  <p class="text">Plain text</p>
  <div data-tapistry-ignore><button id="secret">x</button></div>
  <input id="q" name="q">
  <button id="grow">More</button>
  <ul id="out"></ul>
</main></body></html>`;

async function page(): Promise<Page> {
  const p = await makePage({ html: HTML, layout: { docW: 1000, docH: 4000 } });
  p.doc.getElementById('grow')!.addEventListener('click', () => {
    p.doc.getElementById('out')!.appendChild(p.doc.createElement('li'));
  });
  return p;
}

async function sent(p: Page, wait = 3000) {
  await p.tick(wait);
  p.tap('flush');
  await p.tick(0);
  return p.events('click');
}

test('x,y are document-relative, ex,ey element-relative; selector, hash and button', async () => {
  const p = await page();
  const buy = p.doc.getElementById('buy')!;
  buy.getBoundingClientRect = () => ({ left: 200, top: 1000, width: 100, height: 40, right: 300, bottom: 1040, x: 200, y: 1000 }) as DOMRect;
  p.click(buy, 250, 1010);
  const [c] = await sent(p);
  const I = await p.internals();
  expect(c).toMatchObject({
    x: 0.25,
    y: 0.2525,
    ex: 0.5,
    ey: 0.25,
    selector: '#buy',
    selector_hash: I.hash.fnv1a64('#buy'),
    props: { button: 0 },
  });
});

test('a click on a sticky / fixed element is flagged and placed where the element sits at the top of the page', async () => {
  const p = await makePage({
    html: HTML.replace('<main>', '<header style="position: sticky; top: 0"><nav><a id="pricing" href="#p">Pricing</a></nav></header><div id="fab" style="position: fixed"><button id="chat">Chat</button></div><main>'),
    layout: { docW: 1000, docH: 4000, sy: 2000 },
  });
  const link = p.doc.getElementById('pricing')!;
  // scrolled 2000 px down: the sticky nav is at the top of the viewport
  link.getBoundingClientRect = () => ({ left: 100, top: 10, width: 80, height: 20, right: 180, bottom: 30, x: 100, y: 10 }) as DOMRect;
  p.click(link, 120, 2015);
  const chat = p.doc.getElementById('chat')!;
  chat.getBoundingClientRect = () => ({ left: 900, top: 700, width: 50, height: 50, right: 950, bottom: 750, x: 900, y: 700 }) as DOMRect;
  await p.tick(1100);
  p.click(chat, 925, 2725);
  const buy = p.doc.getElementById('buy')!;
  buy.getBoundingClientRect = () => ({ left: 200, top: 100, width: 100, height: 40, right: 300, bottom: 140, x: 200, y: 100 }) as DOMRect;
  await p.tick(1100);
  p.click(buy, 250, 2110);
  const [nav, fab, plain] = await sent(p);
  // document point = the viewport point (y 15 of 4000), not the scrolled page point (2015)
  expect(nav).toMatchObject({ x: 0.12, y: 0.00375, ex: 0.25, ey: 0.25, props: { fixed: true } });
  expect(fab).toMatchObject({ x: 0.925, y: 0.18125, ex: 0.5, ey: 0.5, props: { fixed: true } });
  // an element in the flow keeps its page point and no flag
  expect(plain).toMatchObject({ x: 0.25, y: 0.5275, ex: 0.5, ey: 0.25 });
  expect(plain.props.fixed).toBeUndefined();
});

test('a click on an icon inside a button is a click on the button', async () => {
  const p = await page();
  p.click(p.doc.querySelector('path')!, 10, 10);
  expect((await sent(p))[0].selector).toBe('#buy');
});

test('[data-tapistry-ignore] subtrees are never recorded', async () => {
  const p = await page();
  p.click(p.doc.getElementById('secret')!, 10, 10);
  expect(await sent(p)).toHaveLength(0);
});

test('a double-click is one click', async () => {
  const p = await page();
  const el = p.doc.getElementById('grow')!;
  p.click(el, 50, 50, { detail: 1 });
  await p.tick(120);
  p.click(el, 51, 50, { detail: 2 });
  expect(await sent(p)).toHaveLength(1);
});

test('rage clicks: the third click within 1 s and 30 px is flagged, the rest of the burst dropped', async () => {
  const p = await page();
  const el = p.doc.getElementById('grow')!;
  for (let i = 0; i < 6; i++) {
    p.click(el, 100 + i * 3, 100);
    await p.tick(150);
  }
  const clicks = await sent(p);
  expect(clicks).toHaveLength(2);
  expect(clicks[0].props.rage).toBeUndefined();
  expect(clicks[1].props.rage).toBe(true);
  // clicks far apart are not rage
  const q = await page();
  for (let i = 0; i < 4; i++) {
    q.click(q.doc.getElementById('grow')!, 100 + i * 100, 100);
    await q.tick(150);
  }
  expect((await sent(q)).every((c) => !c.props.rage)).toBe(true);
});

test('dead clicks: no DOM change or navigation within 2.5 s', async () => {
  const p = await page();
  p.click(p.doc.querySelector('.text')!, 10, 10);
  await p.tick(2400);
  p.tap('flush');
  await p.tick(0);
  expect(p.events('click')).toHaveLength(0); // held until the 2.5 s verdict
  const [dead] = await sent(p, 200);
  expect(dead.props.dead).toBe(true);

  const q = await page();
  q.click(q.doc.getElementById('grow')!, 10, 10); // its handler appends an <li>
  const [alive] = await sent(q, 100); // sent as soon as the change is seen
  expect(alive.props.dead).toBeUndefined();
});

test('a route change or leaving the page means the click was not dead', async () => {
  const p = await page();
  p.click(p.doc.querySelector('.text')!, 10, 10);
  await p.tick(50);
  p.w.history.pushState({}, '', '/elsewhere');
  const [c] = await sent(p, 300);
  expect(c.props.dead).toBeUndefined();
  expect(c.path).toBe('/'); // the page it happened on

  const q = await page();
  q.click(q.doc.querySelector('.text')!, 10, 10);
  await q.hide();
  expect(q.events('click')[0].props.dead).toBeUndefined();

  // an in-page anchor: the URL key does not change (no page view), but the click did something
  const r = await page();
  r.click(r.doc.querySelector('.text')!, 10, 10);
  await r.tick(50);
  r.w.location.hash = '#reviews';
  const [anchor] = await sent(r, 3000);
  expect(anchor.props.dead).toBeUndefined();
  expect(r.events('page_view')).toHaveLength(1);
});

test('clicks into form fields are sent at once and never dead', async () => {
  const p = await page();
  p.click(p.doc.getElementById('q')!, 10, 10);
  const [c] = await sent(p, 100);
  expect(c.selector).toBe('#q');
  expect(c.props.dead).toBeUndefined();
});

test('middle and right buttons; programmatic el.click() is ignored', async () => {
  const p = await page();
  const el = p.doc.getElementById('grow')!;
  el.dispatchEvent(new p.w.MouseEvent('auxclick', { bubbles: true, button: 1, clientX: 5, clientY: 5, detail: 1 }));
  el.dispatchEvent(new p.w.MouseEvent('contextmenu', { bubbles: true, button: 2, clientX: 300, clientY: 5 }));
  el.click();
  const clicks = await sent(p);
  expect(clicks.map((c) => c.props.button)).toEqual([1, 2]);
});

function touch(p: Page, type: string, el: Element, x: number, y: number) {
  const e = new p.w.Event(type, { bubbles: true });
  const t = [{ pageX: x, pageY: y, clientX: x, clientY: y, target: el }];
  Object.defineProperty(e, 'touches', { value: type === 'touchend' ? [] : t });
  Object.defineProperty(e, 'changedTouches', { value: t });
  el.dispatchEvent(e);
}

test('a tap whose click the page suppressed is still recorded; a tap with its click counts once', async () => {
  const p = await page();
  const el = p.doc.getElementById('grow')!;
  touch(p, 'touchstart', el, 500, 2000);
  await p.tick(80);
  touch(p, 'touchend', el, 502, 2001);
  const [c] = await sent(p);
  expect(c).toMatchObject({ x: 0.502, y: 0.50025, selector: '#grow' });

  const q = await page();
  const g = q.doc.getElementById('grow')!;
  touch(q, 'touchstart', g, 500, 2000);
  touch(q, 'touchend', g, 500, 2000);
  await q.tick(30);
  q.click(g, 500, 2000);
  expect(await sent(q)).toHaveLength(1);
});

test('the click handler reads no layout', async () => {
  const p = await page();
  let reads = 0;
  const de = p.doc.documentElement;
  for (const k of ['scrollWidth', 'scrollHeight', 'clientWidth', 'clientHeight', 'offsetWidth', 'offsetHeight']) {
    const d = Object.getOwnPropertyDescriptor(de, k) || Object.getOwnPropertyDescriptor(p.w.Element.prototype, k) || Object.getOwnPropertyDescriptor(p.w.HTMLElement.prototype, k);
    Object.defineProperty(de, k, { configurable: true, get: () => (reads++, d?.get?.call(de)) });
  }
  for (const k of ['innerWidth', 'innerHeight', 'pageXOffset', 'pageYOffset', 'scrollX', 'scrollY']) {
    const d = Object.getOwnPropertyDescriptor(p.w, k);
    Object.defineProperty(p.w, k, { configurable: true, get: () => (reads++, d?.get ? d.get.call(p.w) : d?.value) });
  }
  const proto = p.w.Element.prototype;
  const gbcr = proto.getBoundingClientRect;
  proto.getBoundingClientRect = function (this: Element) {
    reads++;
    return gbcr.call(this);
  };
  p.click(p.doc.getElementById('buy')!, 10, 10);
  expect(reads).toBe(0);
  await sent(p);
  expect(p.events('click')).toHaveLength(1);
});
