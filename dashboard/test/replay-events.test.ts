import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  clock,
  currentMarker,
  extractMarkers,
  IDLE_KEEP_MS,
  idleSpans,
  mergeEvents,
  parseChunk,
  type RrEvent,
  skipTarget,
  Timeline,
  urlAt,
} from '../src/lib/replay-events';
import { safeAttribute, sanitizeEvent, scriptUrl } from '../src/lib/replay-sanitize';

const T0 = 1_700_000_000_000;
const meta = (t: number, href: string): RrEvent => ({ type: 4, timestamp: T0 + t, data: { href, width: 1280, height: 800 } });
const fullSnap = (t: number): RrEvent => ({ type: 2, timestamp: T0 + t, data: { node: { type: 0, childNodes: [], id: 1 } } });
const move = (t: number): RrEvent => ({ type: 3, timestamp: T0 + t, data: { source: 1, positions: [] } });
const mutation = (t: number): RrEvent => ({ type: 3, timestamp: T0 + t, data: { source: 0, adds: [], removes: [], texts: [], attributes: [] } });
const clickAt = (t: number, type = 2): RrEvent => ({ type: 3, timestamp: T0 + t, data: { source: 2, type, id: 5, x: 1, y: 1 } });
const inputAt = (t: number, id: number): RrEvent => ({ type: 3, timestamp: T0 + t, data: { source: 5, id, text: '***' } });
const customAt = (t: number, tag: string, payload: unknown): RrEvent => ({ type: 5, timestamp: T0 + t, data: { tag, payload } });

test('a stored chunk parses: the header line apart, bad lines skipped', () => {
  const text = [
    JSON.stringify({ v: 1, session_id: 's', chunk_index: 0, from_ms: 1, to_ms: 2, events: 2 }),
    JSON.stringify(meta(0, 'https://a.test/')),
    '{not json',
    JSON.stringify({ type: 'x', timestamp: 1 }),
    JSON.stringify(move(5)),
    '',
  ].join('\n');
  const { header, events } = parseChunk(text);
  expect(header?.chunk_index).toBe(0);
  expect(events.map((e) => e.type)).toEqual([4, 3]);
});

test('chunks merge in time order, equal timestamps in recorded order', () => {
  const a = [move(0), move(10)];
  const b = [{ ...move(5), data: { source: 1, tag: 'b1' } }, { ...move(10), data: { source: 1, tag: 'b2' } }];
  const m = mergeEvents([a, b]);
  expect(m.map((e) => e.timestamp - T0)).toEqual([0, 5, 10, 10]);
  expect(m[3]!.data.tag).toBe('b2');
});

test('markers: page views (repeats of the same page folded), clicks, one input per burst, errors, truncation', () => {
  const evs = [
    meta(0, 'https://a.test/'),
    fullSnap(1),
    clickAt(1000),
    clickAt(1100, 1), // mouse down: not a click
    inputAt(2000, 7),
    inputAt(2300, 7), // the same burst of typing
    inputAt(2400, 8), // another field
    inputAt(4000, 7), // a new burst
    meta(300000, 'https://a.test/'), // the 5-minute full snapshot of the same page
    fullSnap(300001),
    meta(301000, 'https://a.test/next'),
    customAt(302000, 'tapistry.error', { message: 'TypeError: x is undefined' }),
    customAt(303000, 'tapistry.visibility', { hidden: true }),
    customAt(304000, 'tapistry.truncated', { bytes: 3, cap: 3 }),
  ];
  const ms = extractMarkers(evs);
  expect(ms.map((m) => [m.kind, m.t])).toEqual([
    ['page', 0],
    ['click', 1000],
    ['input', 2000],
    ['input', 2400],
    ['input', 4000],
    ['page', 301000],
    ['error', 302000],
    ['truncated', 304000],
  ]);
  expect(ms[6]!.label).toBe('TypeError: x is undefined');
  expect(urlAt(ms, 300500)).toBe('https://a.test/');
  expect(urlAt(ms, 301000)).toBe('https://a.test/next');
  expect(currentMarker(ms, 999)).toBe(0);
  expect(currentMarker(ms, 1000)).toBe(1);
  // the server's truncated flag without the recorder's marker: one at the end
  const t = extractMarkers([meta(0, 'x'), move(500)], { truncated: true });
  expect(t[t.length - 1]).toEqual({ kind: 'truncated', t: 500, label: expect.any(String) });
  expect(extractMarkers(evs, { truncated: true }).filter((m) => m.kind === 'truncated')).toHaveLength(1);
});

test('markers never trust a field: odd events are ignored, labels are bounded strings', () => {
  const odd: RrEvent[] = [
    meta(0, 'x'),
    { type: 5, timestamp: T0 + 1 },
    { type: 5, timestamp: T0 + 2, data: { tag: 'tapistry.error', payload: { message: { toString: 1 } } } },
    { type: 5, timestamp: T0 + 3, data: { tag: 'tapistry.error', payload: { message: 'y'.repeat(5000) } } },
    { type: 3, timestamp: T0 + 4, data: null },
  ];
  const ms = extractMarkers(odd);
  expect(ms.map((m) => m.kind)).toEqual(['page', 'error', 'error']);
  expect(ms[1]!.label).toBe('JavaScript error');
  expect(ms[2]!.label.length).toBe(300);
});

test('idle stretches: gaps over 5 s between interactions, trimmed at both ends; mutations are not activity', () => {
  const evs = [meta(0, 'x'), fullSnap(1), move(1000), mutation(4000), mutation(9000), move(20000), move(23000), clickAt(30000)];
  expect(idleSpans(evs, 30000)).toEqual([
    { from: 1000 + IDLE_KEEP_MS, to: 20000 - IDLE_KEEP_MS },
    { from: 23000 + IDLE_KEEP_MS, to: 30000 - IDLE_KEEP_MS },
  ]);
  // the tail after the last interaction counts
  expect(idleSpans([meta(0, 'x'), move(100)], 60000)).toEqual([{ from: 100 + IDLE_KEEP_MS, to: 60000 - IDLE_KEEP_MS }]);
  expect(idleSpans([meta(0, 'x'), move(4999)], 4999)).toEqual([]);
  const spans = idleSpans(evs, 30000);
  expect(skipTarget(spans, 500)).toBe(500);
  expect(skipTarget(spans, 1500)).toBe(19500);
  expect(skipTarget(spans, 19499)).toBe(19500);
  expect(skipTarget(spans, 19500)).toBe(19500);
});

test('the compressed timeline draws each idle stretch as wide as IDLE_KEEP_MS and round-trips', () => {
  const spans = [
    { from: 1500, to: 19500 },
    { from: 23500, to: 29500 },
  ];
  const tl = new Timeline(30000, spans, true);
  // shown length: 30000 - (18000 - 500) - (6000 - 500) = 7000
  expect(tl.pos(1500)).toBeCloseTo(1500 / 7000);
  expect(tl.pos(19500)).toBeCloseTo(2000 / 7000);
  expect(tl.pos(30000)).toBe(1);
  expect(tl.pos(-5)).toBe(0);
  const bands = tl.idleBands();
  expect(bands[0]!.to - bands[0]!.from).toBeCloseTo(IDLE_KEEP_MS / 7000);
  for (const t of [0, 700, 1500, 5000, 19500, 21000, 23500, 26000, 29500, 30000]) expect(tl.time(tl.pos(t))).toBeCloseTo(t, 6);
  // uncompressed: linear
  const flat = new Timeline(30000, spans, false);
  expect(flat.pos(15000)).toBe(0.5);
  expect(flat.time(0.25)).toBe(7500);
  expect(flat.idleBands()).toEqual([]);
});

test('timeline geometry is monotonic and invertible for any idle stretches (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 100000 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 0, max: 100000 }),
      (times, probe) => {
        const ts = [...new Set(times)].sort((a, b) => a - b);
        const evs = [meta(0, 'x'), ...ts.map((t) => move(t))];
        const end = Math.max(ts[ts.length - 1]!, 1);
        const tl = new Timeline(end, idleSpans(evs, end), true);
        const t = Math.min(probe, end);
        const p = tl.pos(t);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(tl.time(p)).toBeCloseTo(t, 3);
        if (t > 0) expect(tl.pos(t - 1)).toBeLessThanOrEqual(p);
      },
    ),
  );
});

test('clock reads like a player', () => {
  expect(clock(0)).toBe('0:00');
  expect(clock(65_400)).toBe('1:05');
  expect(clock(3_729_000)).toBe('1:02:09');
  expect(clock(-5)).toBe('0:00');
});

test('the sanitizer makes recorded DOM inert and keeps ids', () => {
  const node = {
    type: 0,
    id: 1,
    childNodes: [
      { type: 2, id: 2, tagName: 'script', attributes: { src: 'https://x/y.js' }, childNodes: [{ type: 3, id: 3, textContent: 'alert(1)' }] },
      { type: 2, id: 4, tagName: 'BASE', attributes: { href: 'https://evil/' }, childNodes: [] },
      { type: 2, id: 5, tagName: 'meta', attributes: { 'http-equiv': 'refresh', content: '0;url=https://evil' }, childNodes: [] },
      { type: 2, id: 6, tagName: 'a', attributes: { href: ' jav\tascript:alert(1)', onclick: 'x()', OnMouseOver: 'y()', title: 'ok' }, childNodes: [] },
      { type: 2, id: 7, tagName: 'iframe', attributes: { srcdoc: '<script>1</script>' }, childNodes: [] },
      { type: 2, id: 8, tagName: 'img', attributes: { src: 'https://a.test/i.png', onerror: 'x()' }, childNodes: [] },
      { type: 2, id: 9, tagName: 'svg', isSVG: true, attributes: { onload: 'x()' }, childNodes: [{ type: 2, id: 10, tagName: 'script', isSVG: true, attributes: {}, childNodes: [] }] },
    ],
  };
  const e = sanitizeEvent({ type: 2, timestamp: 1, data: { node } });
  const kids = e.data.node.childNodes;
  expect(kids.map((k: any) => [k.id, k.tagName])).toEqual([
    [2, 'tap-removed'],
    [4, 'tap-removed'],
    [5, 'meta'],
    [6, 'a'],
    [7, 'tap-removed'],
    [8, 'img'],
    [9, 'svg'],
  ]);
  expect(kids[2].attributes).toEqual({});
  expect(kids[3].attributes).toEqual({ title: 'ok' });
  expect(kids[5].attributes).toEqual({ src: 'https://a.test/i.png' });
  expect(kids[6].attributes).toEqual({});
  expect(kids[6].childNodes[0].tagName).toBe('tap-removed');
  // mutations: added nodes and changed attributes
  const m = sanitizeEvent({
    type: 3,
    timestamp: 2,
    data: { source: 0, adds: [{ parentId: 1, node: { type: 2, id: 11, tagName: 'script', attributes: {}, childNodes: [] } }], attributes: [{ id: 6, attributes: { onclick: 'x', href: 'javascript:x', class: 'c' } }], removes: [], texts: [] },
  });
  expect(m.data.adds[0].node.tagName).toBe('tap-removed');
  expect(m.data.attributes[0].attributes).toEqual({ class: 'c' });
  expect(scriptUrl('data:text/html,<script>')).toBe(true);
  expect(scriptUrl('https://a.test/javascript:')).toBe(false);
  expect(safeAttribute('link', 'rel', 'stylesheet')).toBe(true);
  expect(safeAttribute('link', 'rel', 'prefetch')).toBe(false);
});
