import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  apiDefinition,
  DEFAULT_WINDOW_MS,
  defaultFunnel,
  emptyStep,
  type Exclusion,
  type FunnelDef,
  fromApiDefinition,
  funnelValueLabel,
  moveStep,
  parseWindow,
  readFunnel,
  removeStep,
  type Step,
  windowText,
  writeFunnel,
} from '../src/lib/funnel-state';
import { build, DEFAULTS, isFunnelKey, parse } from '../src/lib/url-state';

const page = (path: string, match: Step['match'] = 'equals'): Step => ({ ...emptyStep(), path, match });

test('a funnel is readable in its URL and the defaults are left out', () => {
  const d: FunnelDef = {
    ...defaultFunnel(),
    steps: [page('/'), page('/blog', 'prefix'), { ...emptyStep('click'), selector: '#buy', path: '/pricing' }, { ...emptyStep('custom'), event: 'signup', property: 'plan', value: 'pro' }],
    exclusions: [{ ...emptyStep('custom'), event: 'cancel', from: 2, to: 4 }],
    order: 'strict',
    unit: 'visitor',
    windowMs: 3600000,
    by: 'device',
  };
  expect(writeFunnel(d)).toBe(
    's1=page&s1p=%2F&s2=page&s2p=%2Fblog&s2m=prefix&s3=click&s3p=%2Fpricing&s3sel=%23buy&s4=event&s4e=signup&s4k=plan&s4v=pro' +
      '&x1=event&x1e=cancel&x1f=2&x1t=4&order=strict&unit=visitor&window=1h&by=device',
  );
  expect(readFunnel(writeFunnel(d))).toEqual(d);
  expect(writeFunnel({ ...defaultFunnel(), steps: [page('/a'), page('/b')] })).toBe('s1=page&s1p=%2Fa&s2=page&s2p=%2Fb');
});

test('the funnel rides in the app URL on the funnels route only, and a reload reproduces it', () => {
  const fq = writeFunnel({ ...defaultFunnel(), steps: [page('/'), page('/pricing')], by: 'country' });
  const s = { ...DEFAULTS, route: 'funnels' as const, project: 'p_1', period: '28d' as const, fq };
  const url = build(s);
  expect(url).toBe('/app/funnels?project=p_1&period=28d&s1=page&s1p=%2F&s2=page&s2p=%2Fpricing&by=country');
  const u = new URL(url, 'http://x');
  expect(parse(u.pathname, u.search)).toEqual(s);
  // elsewhere the funnel's keys are not the page's
  expect(build({ ...s, route: 'overview' })).toBe('/app/overview?project=p_1&period=28d');
  expect(parse('/app/overview', u.search).fq).toBe('');
  for (const k of ['s1', 's12p', 'x3f', 'order', 'unit', 'window', 'by', 'fid', 's1sel']) expect(isFunnelKey(k)).toBe(true);
  for (const k of ['path', 'period', 'project', 'mode', 'view', 's', 'x', 's123', 'sx']) expect(isFunnelKey(k)).toBe(false);
});

const text = fc.string({ minLength: 1, maxLength: 30 });
// filters: distinct known dimensions, any value (colons and commas included)
const filters = fc.uniqueArray(fc.tuple(fc.constantFrom('device', 'country', 'browser', 'utm_source', 'referrer'), text), { selector: ([d]) => d, maxLength: 4 });
const step = fc.oneof(
  fc.record({ path: text, match: fc.constantFrom('equals', 'prefix', 'contains', 'regex') as fc.Arbitrary<Step['match']>, label: fc.oneof(fc.constant(''), text), filters }).map((r) => ({ ...emptyStep(), ...r })),
  fc.record({ selector: fc.oneof(fc.constant(''), text), hash: fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }).map(String), path: fc.oneof(fc.constant(''), text) }).map((r) => ({ ...emptyStep('click'), ...r })),
  fc.record({ event: text, property: fc.oneof(fc.constant(''), text) }).chain((r) =>
    (r.property ? text : fc.constant('')).map((value) => ({ ...emptyStep('custom'), ...r, value })),
  ),
);

test('any funnel round-trips through the URL (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.array(step, { minLength: 2, maxLength: 20 }),
      fc.array(fc.tuple(step, fc.nat(2), fc.nat(2)), { maxLength: 10 }),
      fc.constantFrom('sequential', 'strict', 'any_order') as fc.Arbitrary<FunnelDef['order']>,
      fc.constantFrom('session', 'visitor') as fc.Arbitrary<FunnelDef['unit']>,
      fc.constantFrom(0, 60000, 3600000, 86400000, DEFAULT_WINDOW_MS, 90 * 86400000, 1234),
      fc.constantFrom('', 'device', 'utm_source', 'page'),
      (steps, xs, order, unit, windowMs, by) => {
        const exclusions: Exclusion[] = xs.map(([s, f, t]) => ({ ...s, from: f, to: t }));
        const d: FunnelDef = { steps, exclusions, order, unit, windowMs, by, fid: 'f_00ab' };
        const url = build({ ...DEFAULTS, route: 'funnels', project: 'p', fq: writeFunnel(d) });
        const u = new URL(url, 'http://x');
        expect(readFunnel(parse(u.pathname, u.search).fq)).toEqual(d);
      },
    ),
    { numRuns: 300 },
  );
});

test('a hand-edited URL never breaks the page: bad values fall back', () => {
  const d = readFunnel('s1=bogus&s2=page&order=sideways&unit=cat&window=forever&by=planet&fid=../x&x1=page&x1p=/h&x1f=9&x1t=-1');
  expect(d.steps).toEqual([emptyStep(), emptyStep()]); // s1 unknown: no steps read
  expect(d.order).toBe('sequential');
  expect(d.unit).toBe('session');
  expect(d.windowMs).toBe(DEFAULT_WINDOW_MS);
  expect(d.by).toBe('');
  expect(d.fid).toBe('');
  expect(d.exclusions[0]).toMatchObject({ path: '/h', from: 0, to: 0 });
  // one step read: padded to two
  expect(readFunnel('s1=page&s1p=/a').steps).toEqual([page('/a'), emptyStep()]);
  // a click's hash is digits only; fields of other types are dropped
  expect(readFunnel('s1=click&s1h=12ab&s1e=x&s2=page').steps[0]).toEqual(emptyStep('click'));
  expect(readFunnel('s1=page&s1p=' + 'a'.repeat(2000)).steps[0]!.path.length).toBe(512);
});

test('windows read and write as 30m / 2h / 7d', () => {
  expect(windowText(30 * 60000)).toBe('30m');
  expect(windowText(2 * 3600000)).toBe('2h');
  expect(windowText(7 * 86400000)).toBe('7d');
  expect(windowText(1500)).toBe('1500');
  expect(windowText(0)).toBe('0');
  expect(parseWindow('90d')).toBe(90 * 86400000);
  expect(parseWindow('91d')).toBeUndefined();
  expect(parseWindow('1500')).toBe(1500);
  expect(parseWindow('-1h')).toBeUndefined();
  expect(parseWindow('1w')).toBeUndefined();
});

test('the API definition: complete steps only, with a reason otherwise', () => {
  expect(apiDefinition(defaultFunnel())).toEqual({ missing: 'Step 1 needs a page.' });
  expect(apiDefinition({ ...defaultFunnel(), steps: [page('/'), emptyStep('click')] }).missing).toBe('Step 2 needs an element.');
  expect(apiDefinition({ ...defaultFunnel(), steps: [page('/'), emptyStep('custom')] }).missing).toBe('Step 2 needs an event name.');
  const d: FunnelDef = {
    ...defaultFunnel(),
    steps: [page(' /a '), { ...emptyStep('click'), hash: '77', path: '/b', match: 'prefix' }, { ...emptyStep('custom'), event: 'e', property: 'k', value: '' }],
    exclusions: [{ ...emptyStep('custom'), event: 'x', from: 0, to: 0 }],
    by: 'os',
  };
  expect(apiDefinition(d).def).toEqual({
    steps: [
      { type: 'page_view', path: '/a' },
      { type: 'click', path: '/b', match: 'prefix', selector_hash: '77' },
      { type: 'custom', event: 'e', property: 'k', value: '' },
    ],
    exclusions: [{ type: 'custom', event: 'x', from_step: 1, to_step: 3 }],
    mode: 'sequential',
    unit: 'session',
    window_ms: DEFAULT_WINDOW_MS,
    breakdown: 'os',
  });
  expect(apiDefinition({ ...d, exclusions: [{ ...emptyStep('custom'), event: 'x', from: 3, to: 2 }] }).missing).toBe('Exclusion 1 must lie between two different steps.');
  expect(apiDefinition({ ...d, exclusions: [{ ...emptyStep(), from: 0, to: 0 }] }).missing).toBe('Exclusion 1 needs a page.');
});

test('a saved definition comes back as the same builder state', () => {
  const d: FunnelDef = {
    ...defaultFunnel(),
    steps: [page('/'), { ...emptyStep('click'), selector: '#b', hash: '5' }, { ...emptyStep('custom'), event: 'e', label: 'Signed up' }],
    exclusions: [{ ...emptyStep('custom'), event: 'x', from: 1, to: 3 }],
    order: 'any_order',
    unit: 'visitor',
    windowMs: 60000,
    by: 'country',
  };
  expect(fromApiDefinition(apiDefinition(d).def, 'f_1')).toEqual({ ...d, fid: 'f_1' });
  expect(fromApiDefinition(null)).toEqual(defaultFunnel());
  expect(fromApiDefinition({ steps: [{ type: 'weird', path: 5 }], window_ms: -1, mode: 'x' }).steps).toEqual([emptyStep(), emptyStep()]);
});

test('reordering and removing steps keep exclusions on the steps they named', () => {
  const d: FunnelDef = {
    ...defaultFunnel(),
    steps: [page('/a'), page('/b'), page('/c'), page('/d')],
    exclusions: [{ ...emptyStep('custom'), event: 'x', from: 2, to: 3 }, { ...emptyStep('custom'), event: 'y', from: 0, to: 0 }],
  };
  const moved = moveStep(d, 0, 3); // /a to the end: b c d a
  expect(moved.steps.map((s) => s.path)).toEqual(['/b', '/c', '/d', '/a']);
  expect(moved.exclusions.map((x) => [x.from, x.to])).toEqual([[1, 2], [0, 0]]);
  const swapped = moveStep(d, 2, 1); // a c b d: the exclusion between b and c keeps its order
  expect(swapped.exclusions[0]).toMatchObject({ from: 2, to: 3 });
  expect(moveStep(d, 0, 9)).toBe(d);
  const removed = removeStep(d, 1); // /b gone: the exclusion that started there covers from the start
  expect(removed.steps.map((s) => s.path)).toEqual(['/a', '/c', '/d']);
  expect(removed.exclusions[0]).toMatchObject({ from: 0, to: 2 });
  expect(removeStep({ ...d, steps: d.steps.slice(0, 2) }, 0).steps).toHaveLength(2);
});

test('breakdowns by entry page and first or returning visitor: in the URL, the API and the table', () => {
  for (const by of ['entry_page', 'visitor_type']) {
    expect(readFunnel(`s1=page&s1p=/a&s2=page&s2p=/b&by=${by}`).by).toBe(by);
    const d: FunnelDef = { ...defaultFunnel(), steps: [page('/a'), page('/b')], by };
    expect(apiDefinition(d).def).toMatchObject({ breakdown: by });
    expect(fromApiDefinition({ steps: [{ type: 'page_view', path: '/a' }, { type: 'page_view', path: '/b' }], breakdown: by }).by).toBe(by);
  }
  expect(funnelValueLabel('visitor_type', 'first')).toBe('First visit');
  expect(funnelValueLabel('visitor_type', 'returning')).toBe('Returning visitor');
  expect(funnelValueLabel('entry_page', '')).toBe('(no page view in the range)');
  expect(funnelValueLabel('entry_page', '/pricing')).toBeUndefined();
  expect(funnelValueLabel('device', 'mobile')).toBeUndefined();
});

test('step filters ride in the URL and reach the API; a row not yet typed filters nothing', () => {
  const d = defaultFunnel();
  d.steps[0] = { ...page('/pricing'), filters: [['device', 'mobile'], ['utm_source', 'news:letter, daily']] };
  d.steps[1] = { ...page('/signup'), filters: [['country', '']] };
  d.exclusions = [{ ...page('/help'), filters: [['browser', 'Firefox']], from: 1, to: 2 }];
  const q = writeFunnel(d);
  expect(q).toContain('s1w=device%3Amobile&s1w=utm_source%3Anews%3Aletter%2C+daily');
  expect(q).toContain('x1w=browser%3AFirefox&x1f=1&x1t=2');
  expect(readFunnel(q)).toEqual(d);
  const api = apiDefinition(d).def!;
  expect(api.steps[0]!.filters).toEqual({ device: 'mobile', utm_source: 'news:letter, daily' });
  expect(api.steps[1]!.filters).toBeUndefined();
  expect(api.exclusions[0]!.filters).toEqual({ browser: 'Firefox' });
  expect(fromApiDefinition(api).steps[0]!.filters).toEqual(d.steps[0]!.filters);
  // unknown dimensions and repeats are dropped from a hand-edited URL
  expect(readFunnel('s1=page&s1p=/a&s1w=device:tablet&s1w=device:mobile&s1w=entry_page:/x&s1w=nocolon&s2=page&s2p=/b').steps[0]!.filters).toEqual([['device', 'tablet']]);
});
