// @vitest-environment jsdom
import { expect, test } from 'vitest';
import { mask } from '../../sdk/src/snapshot/mask';
import { kindOf, masks, policy, textOf } from '../../sdk/src/snapshot/policy';
import {
  applyPreview,
  bodyText,
  capturedMasked,
  compileList,
  compileRules,
  countsLine,
  isField,
  type Lists,
  listProblem,
  plan,
} from '../src/lib/mask-preview';

const PAGE = `<!doctype html><html><body>
  <header><h1 class="brand">Acme</h1><h2>Our shop</h2></header>
  <main>
    <h2 class="product-title">Blue running shoes <img id="shoe" src="data:,"></h2>
    <section class="account" id="acct">
      <h2>Your account</h2>
      <p>Account <span class="number">4021 8810 2231</span></p>
      <img id="avatar" src="data:,">
      <div class="promo" id="promo-in-account">Hi Jane</div>
    </section>
    <form><input id="email" type="email"><input type="hidden" name="t"><input type="submit" value="Send">
      <textarea id="msg"></textarea><select id="size"><option>42</option></select><button>Go</button></form>
    <div id="support-chat"><p class="agent">Chat with Jane</p><span class="account">nested</span></div>
    <div data-tapistry-placeholder="ignore" class="legacy-widget"></div>
    <div data-tapistry-mask class="notes">Private notes</div>
    <style>.x { color: red }</style>
  </main>
</body></html>`;

function doc(html = PAGE): Document {
  return new DOMParser().parseFromString(html, 'text/html');
}

function run(lists: Partial<Lists>, d = doc()) {
  const rules = compileRules(d, { mask: [], allow: [], ignore: [], ...lists });
  return { d, rules, p: plan(d.body, rules) };
}

const ids = (p: ReturnType<typeof plan>, kind: string) =>
  p.marks.filter((m) => m.kind === kind).map((m) => m.el.id || m.el.getAttribute('class') || m.el.localName);

test('with no rules: form fields are masked, the site’s own attributes apply, nothing else', () => {
  const { p } = run({});
  expect(ids(p, 'masked')).toEqual(['email', 'msg', 'size', 'notes']);
  expect(ids(p, 'ignored')).toEqual(['legacy-widget']);
  expect(ids(p, 'shown')).toEqual([]);
  expect(p.marks.find((m) => m.el.id === 'email')!.why).toBe('form field');
  expect(p.marks.find((m) => m.el.getAttribute('class') === 'notes')!.why).toBe('data-tapistry-mask');
  expect(p.counts).toEqual({ masked: 4, fields: 3, ignored: 1, shown: 0 });
});

test('hidden inputs and buttons are not form fields: a button’s label is text, not a value', () => {
  const d = doc();
  expect(isField(d.querySelector('input[type=hidden]')!)).toBe(false);
  expect(isField(d.querySelector('input[type=submit]')!)).toBe(false);
  expect(isField(d.querySelector('button')!)).toBe(false);
  expect(isField(d.getElementById('email')!)).toBe(true);
});

test('mask covers the subtree: one mark for the outermost element, nested matches inside it are not marked again', () => {
  const { p } = run({ mask: ['.account', '.number'] });
  expect(ids(p, 'masked')).toContain('acct');
  expect(ids(p, 'masked')).not.toContain('number');
  expect(p.marks.find((m) => m.el.id === 'acct')!.why).toBe('.account');
});

test('ignore wins over mask and allow, and nothing inside an ignored element is marked', () => {
  const { p } = run({ mask: ['.account'], allow: ['#support-chat', '.agent'], ignore: ['#support-chat'] });
  expect(ids(p, 'ignored')).toEqual(['support-chat', 'legacy-widget']);
  // the .account inside the chat is never reached: the chat is left out whole
  expect(ids(p, 'masked').filter((x) => x === 'account')).toEqual([]);
  expect(ids(p, 'shown')).toEqual([]);
  expect(p.marks.find((m) => m.el.id === 'support-chat')!.why).toBe('#support-chat');
});

test('an ignore rule inside a masked element still leaves it out', () => {
  const { p } = run({ mask: ['.account'], ignore: ['#promo-in-account'] });
  expect(ids(p, 'masked')).toContain('acct');
  expect(ids(p, 'ignored')).toContain('promo-in-account');
});

test('mask wins over allow: an allowed element inside a masked one stays masked (overridden)', () => {
  const { p } = run({ mask: ['.account'], allow: ['h2'] });
  // the header's h2 and the product title are shown; the account's h2 is not
  expect(p.marks.filter((m) => m.kind === 'shown').map((m) => m.el.textContent!.trim())).toEqual(['Our shop', 'Blue running shoes']);
  expect(p.overridden.map((e) => e.textContent)).toEqual(['Your account']);
  expect(p.counts.shown).toBe(2);
});

test('an element both masked and allowed is masked; an allowed form field stays masked', () => {
  const { p } = run({ mask: ['.product-title'], allow: ['.product-title', '#email'] });
  expect(ids(p, 'masked')).toEqual(['product-title', 'email', 'msg', 'size', 'notes']);
  expect(ids(p, 'shown')).toEqual([]);
  expect(p.overridden.map((e) => e.id || e.className)).toEqual(['product-title', 'email']);
});

test('allow covers the subtree (the SDK asks closest()): a mask inside a shown element is its own mark', () => {
  const { p } = run({ allow: ['main'], mask: ['.number'] });
  expect(ids(p, 'shown')).toEqual(['main']);
  expect(ids(p, 'masked')).toEqual(['number', 'email', 'msg', 'size', 'notes']);
});

test('a rule on <html> covers the whole page: drawn on <body>', () => {
  const { p } = run({ allow: ['html'] });
  expect(ids(p, 'shown')).toEqual(['body']);
  const { p: q } = run({ allow: ['html'], mask: ['html'] });
  expect(ids(q, 'masked')).toEqual(['body']);
  expect(q.overridden.map((e) => e.localName)).toEqual(['body']);
  expect(q.marks.find((m) => m.el.localName === 'body')!.why).toBe('html');
  expect(ids(run({ ignore: ['html'] }).p, 'ignored')).toEqual(['body']);
});

test('one invalid selector turns its whole list off, as in the SDK (the list is joined into one selector)', () => {
  const d = doc();
  const l = compileList(d, ['.account', '.price[']);
  expect(l).toMatchObject({ joined: '.account,.price[', invalid: ['.price['], off: true, valid: ['.account'] });
  const { p } = run({ mask: ['.account', '.price['], allow: ['h2'] }, d);
  expect(ids(p, 'masked')).not.toContain('acct');
  // the account's heading is shown now: no mask rule applies
  expect(p.counts.shown).toBe(3);
  expect(listProblem(l)).toBe(
    '“.price[” is not a valid CSS selector. While it is in the list, the other selector (.account) does not apply either: the snippet reads the list as one selector.',
  );
  expect(listProblem(compileList(d, ['a:(', '##b']))).toBe('“a:(”, “##b” are not valid CSS selectors: they match nothing.');
  expect(listProblem(compileList(d, ['.a', ' ', '#b']))).toBe('');
  expect(compileList(d, ['.a', ' ', '#b']).joined).toBe('.a,#b');
});

test('applyPreview masks text in masked elements as the SDK does, hides their images and empties ignored ones to sized boxes', () => {
  const { d, p } = run({ mask: ['.account'], ignore: ['#support-chat'] });
  applyPreview(p, (el) => ({ w: el.id === 'support-chat' ? 320 : 10, h: 180, display: 'block' }));
  const acct = d.getElementById('acct')!;
  expect(acct.querySelector('.number')!.textContent).toBe('0000 0000 0000');
  expect(acct.querySelector('h2')!.textContent).toBe('Xxxx xxxxixx');
  expect((d.getElementById('avatar') as HTMLElement).style.visibility).toBe('hidden');
  expect((d.getElementById('shoe') as HTMLElement).style.visibility).toBe('');
  const chat = d.getElementById('support-chat') as HTMLElement;
  expect(chat.childNodes.length).toBe(0);
  expect(chat.style.width).toBe('320px');
  expect(chat.style.height).toBe('180px');
  // text elsewhere untouched; style text never masked
  expect(d.querySelector('.product-title')!.textContent!.trim()).toBe('Blue running shoes');
  expect(d.querySelector('style')!.textContent).toBe('.x { color: red }');
  // form fields: nothing to mask in a snapshot (no values), and the preview adds none
  expect((d.getElementById('email') as HTMLInputElement).getAttribute('value')).toBeNull();
});

test('an inline ignored element becomes an inline-block box; one not displayed stays hidden', () => {
  const d = doc('<html><body><span id="a">x</span><span id="b">y</span></body></html>');
  const { p } = run({ ignore: ['#a', '#b'] }, d);
  applyPreview(p, (el) => ({ w: 40, h: 12, display: el.id === 'a' ? 'inline' : 'none' }));
  expect((d.getElementById('a') as HTMLElement).style.display).toBe('inline-block');
  expect((d.getElementById('b') as HTMLElement).style.display).toBe('none');
});

test('counts line', () => {
  expect(countsLine({ masked: 3, fields: 2, ignored: 1, shown: 2 })).toBe('3 elements masked (2 form fields), 1 ignored, 2 shown');
  expect(countsLine({ masked: 1, fields: 1, ignored: 0, shown: 0 })).toBe('1 element masked (a form field), 0 ignored, 0 shown');
  expect(countsLine({ masked: 2, fields: 2, ignored: 0, shown: 1 })).toBe('2 elements masked (all form fields), 0 ignored, 1 shown');
  expect(countsLine({ masked: 0, fields: 0, ignored: 0, shown: 0 })).toBe('0 elements masked, 0 ignored, 0 shown');
});

test('whether a snapshot was captured with its text masked', () => {
  const real = 'Welcome back, Jane Roe. Write to jane.roe@example.com — order 1234 ships today.';
  expect(capturedMasked(mask(real))).toBe('masked');
  expect(capturedMasked(real)).toBe('real');
  expect(capturedMasked(mask('Hello'))).toBe('unknown');
  const d = doc('<html><body><p>Hello there</p><style>.a{}</style><script>var x</script></body></html>');
  expect(bodyText(d.body).replace(/\s+/g, ' ').trim()).toBe('Hello there');
});

// The preview against the SDK itself: for each rule set, every text node of the page is judged by
// the SDK's masking policy (sdk/src/snapshot/policy.ts, walked as walk.ts walks) and by the
// preview's plan — left out, masked, or shown — with maskText on (the default) and off.
test('the preview agrees with the SDK’s own policy on every text node', () => {
  const RULES: Array<Partial<Lists>> = [
    {},
    { mask: ['.account'], allow: ['h2', '.product-title'], ignore: ['#support-chat'] },
    { mask: ['.number'], allow: ['main'] },
    { mask: ['.account', '.price['], allow: ['h2'] },
    { allow: ['html'], mask: ['.account'] },
    { mask: ['html'], allow: ['html'] },
    { ignore: ['.account', '.agent'], allow: ['#support-chat', 'header'], mask: ['h1'] },
    { allow: ['.account h2, .brand'], mask: ['#promo-in-account'], ignore: ['##bad'] },
    { mask: ['section > h2'], allow: ['section'], ignore: ['img'] },
  ];
  for (const rules of RULES) {
    for (const maskText of [true, false]) {
      const d = doc();
      const lists = { mask: [], allow: [], ignore: [], ...rules };
      const join = (a: string[]) => (a.length ? a.join(',') : undefined);
      const pol = policy(d, { maskText, queryAllowlist: [], mask: join(lists.mask), allow: join(lists.allow), ignore: join(lists.ignore) });
      const sdk = new Map<Text, string>();
      const walk = (el: Element, parentMasked: boolean): void => {
        const m = masks(el, parentMasked, pol);
        const kind = kindOf(el, true, m, pol);
        if (kind === 'drop') return;
        if (kind === 'ignore') {
          for (const t of textsIn(el)) sdk.set(t, 'left out');
          return;
        }
        for (let c = el.firstChild; c; c = c.nextSibling) {
          if (c.nodeType === 3 && !/^(?:style|script)$/.test(el.localName)) {
            const t = c as Text;
            if (!t.data.trim()) continue;
            sdk.set(t, textOf(t.data, m, pol, el) === mask(t.data) ? 'masked' : 'shown');
          } else if (c.nodeType === 1) walk(c as Element, m);
        }
      };
      walk(d.documentElement, false);
      const p = plan(d.body, compileRules(d, lists));
      const inside = (t: Text, kind: string) => p.marks.some((m) => m.kind === kind && m.why !== 'form field' && m.el.contains(t));
      for (const [t, want] of sdk) {
        const got = inside(t, 'ignored') ? 'left out' : inside(t, 'masked') ? 'masked' : inside(t, 'shown') || !maskText ? 'shown' : 'masked';
        expect(got, `${JSON.stringify(rules)} maskText=${maskText}: "${t.data.trim()}"`).toBe(want);
      }
    }
  }
});

function textsIn(el: Element): Text[] {
  const out: Text[] = [];
  const w = el.ownerDocument.createTreeWalker(el, 4);
  for (let n = w.nextNode(); n; n = w.nextNode()) if ((n as Text).data.trim()) out.push(n as Text);
  return out;
}
