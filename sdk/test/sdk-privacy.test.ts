// Privacy gates: Do Not Track and Global Privacy Control, the consent API, sampling, and PII that
// must never leave the page in titles, URLs, selectors or properties.
import { CookieJar } from 'jsdom';
import { expect, test } from 'vitest';
import { makePage, ORIGIN } from './load';

const queue = (...cmds: unknown[][]) => (w: any) => (w.tapistry = Object.assign(() => {}, { q: cmds }));

test('Do Not Track: nothing is sent or stored, clicks included', async () => {
  const p = await makePage({ before: (w) => Object.defineProperty(w.navigator, 'doNotTrack', { value: '1', configurable: true }) });
  p.click(p.doc.getElementById('buy')!, 1, 1);
  p.tap('track', 'x');
  await p.tick(10_000);
  await p.hide();
  expect(p.sent).toHaveLength(0);
  expect(p.doc.cookie).toBe('');
});

test('Global Privacy Control counts as DNT; respectDNT: false collects anyway', async () => {
  const gpc = (w: any) => Object.defineProperty(w.navigator, 'globalPrivacyControl', { value: true, configurable: true });
  const p = await makePage({ before: gpc });
  await p.hide();
  expect(p.sent).toHaveLength(0);
  const q = await makePage({ before: (w) => (gpc(w), queue(['config', { respectDNT: false }])(w)) });
  await q.hide();
  expect(q.events('page_view')).toHaveLength(1);
});

test('requireConsent: nothing until setConsent({analytics: true}), then a page_view', async () => {
  const p = await makePage({ before: queue(['config', { requireConsent: true }]) });
  p.tap('track', 'too-early');
  await p.tick(10_000);
  expect(p.sent).toHaveLength(0);
  expect(p.doc.cookie).toBe('');
  p.tap('setConsent', { analytics: true, replay: false });
  p.tap('flush');
  await p.tick(0);
  expect(p.events().map((e) => e.type)).toEqual(['page_view', 'scroll_milestone']);
  expect(p.doc.cookie).toContain('_tap=');
});

test('withdrawing consent drops unsent events and the stored ids, and stops collection', async () => {
  const jar = new CookieJar();
  const p = await makePage({ cookieJar: jar });
  p.tap('track', 'queued');
  p.tap('setConsent', { analytics: false });
  p.tap('track', 'after');
  await p.tick(10_000);
  await p.hide();
  expect(p.sent).toHaveLength(0);
  expect(jar.getCookiesSync(ORIGIN)).toHaveLength(0);
  expect(p.w.tapistry.stats().dropped).toBe(3);
});

test('batches say when they were sent after consent; a project that requires consent stops the page until setConsent', async () => {
  const p = await makePage({ reply: () => ({ status: 200, body: { accepted: 0, dropped: 'consent_required', config: { requireConsent: true } } }) });
  p.tap('flush');
  await p.tick(0);
  expect(p.sent).toHaveLength(1);
  expect(p.sent[0]!.body.consent).toBeUndefined();
  // told by the server: nothing more until the visitor consents
  p.tap('track', 'waits');
  await p.tick(10_000);
  expect(p.sent).toHaveLength(1);
  p.tap('setConsent', { analytics: true });
  p.tap('track', 'after');
  p.tap('flush');
  await p.tick(0);
  expect(p.sent.length).toBeGreaterThan(1);
  expect(p.sent.slice(1).every((s) => s.body.consent === 1)).toBe(true);
  expect(p.events('custom').map((e) => e.name)).toContain('after');
});

test('the project’s event sample rate, from the answer, samples the session as the server does', async () => {
  const p = await makePage({ reply: () => ({ status: 200, body: { accepted: 1, config: { sampleRate: 0 } } }) });
  p.tap('flush');
  await p.tick(0);
  const before = p.sent.length;
  expect(before).toBe(1);
  p.tap('track', 'unsampled');
  p.tap('flush');
  await p.tick(10_000);
  expect(p.sent).toHaveLength(before);
});

test('sampleRate 0 sends nothing', async () => {
  const p = await makePage({ before: queue(['config', { sampleRate: 0 }]) });
  p.tap('track', 'x');
  await p.hide();
  expect(p.sent).toHaveLength(0);
});

test('emails, cards, IBANs and SSNs never leave the page', async () => {
  const secrets = ['jane.doe@example.com', '4111111111111111', '4111 1111 1111 1111', 'DE89370400440532013000', '123-45-6789'];
  const html = `<!doctype html><html><head><title>Hi jane.doe@example.com</title>
    <script data-project="pk_test" src="https://ingest.test/v1.js"></script></head><body>
    <button name="jane.doe@example.com" class="u-4111111111111111">Pay 4111 1111 1111 1111</button>
    <a data-testid="123-45-6789" href="#">x</a></body></html>`;
  const p = await makePage({
    html,
    url: ORIGIN + '/u/jane.doe@example.com/pay/4111111111111111?utm_source=DE89370400440532013000&card=4111111111111111',
    referrer: 'https://ref.example/?email=jane.doe@example.com',
  });
  p.click(p.doc.querySelector('button')!, 5, 5);
  p.click(p.doc.querySelector('a')!, 500, 500);
  p.tap('track', 'paid 123-45-6789', { iban: 'DE89 3704 0044 0532 0130 00', note: 'mail jane.doe@example.com' });
  p.tap('page', '/x/jane.doe@example.com');
  p.w.history.pushState({}, '', '/orders/4111-1111-1111-1111');
  await p.tick(3000);
  await p.hide();
  expect(p.events().length).toBeGreaterThan(6);
  const wire = JSON.stringify(p.sent.map((s) => s.body));
  for (const s of secrets) expect(wire).not.toContain(s);
  expect(wire).not.toContain('jane.doe%40example.com');
  expect(wire).toContain('[email]');
});
