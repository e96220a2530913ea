import { expect, test } from 'vitest';
import { deviceTabs, pickLayout, unplacedLayouts } from '../src/lib/layouts';

const L = [
  { device: 'desktop', vw: '1440+', pageviews: 40, clicks: 90 },
  { device: 'desktop', vw: '1024-1439', pageviews: 60, clicks: 10 },
  { device: 'mobile', vw: '0-479', pageviews: 70, clicks: 5 },
  { device: 'unknown', vw: '1440+', pageviews: 3, clicks: 1 },
  { device: 'desktop', vw: 'unknown', pageviews: 2, clicks: 0 },
];

test('tabs: Desktop, Tablet, Mobile in that order with their page views; widths busiest first', () => {
  const t = deviceTabs(L);
  expect(t.map((x) => [x.device, x.views, x.clicks])).toEqual([
    ['desktop', 100, 100],
    ['tablet', 0, 0],
    ['mobile', 70, 5],
  ]);
  expect(t[0]!.widths.map((w) => w.vw)).toEqual(['1024-1439', '1440+']);
  expect(unplacedLayouts(L)).toEqual({ views: 5, clicks: 1 });
});

test('pick: the URL wins; else the busiest of the named device or width; else the busiest layout', () => {
  expect(pickLayout(L, '', '')).toEqual({ device: 'mobile', vw: '0-479' });
  expect(pickLayout(L, 'desktop', '')).toEqual({ device: 'desktop', vw: '1024-1439' });
  expect(pickLayout(L, 'desktop', '1440+')).toEqual({ device: 'desktop', vw: '1440+' });
  expect(pickLayout(L, '', '1440+')).toEqual({ device: 'desktop', vw: '1440+' });
  // a device with no data stays chosen (an empty picture, not another device's)
  expect(pickLayout(L, 'tablet', '')).toEqual({ device: 'tablet', vw: '768-1023' });
  expect(pickLayout(L, 'mobile', '1440+')).toEqual({ device: 'mobile', vw: '1440+' });
  // nothing known at all
  expect(pickLayout([], '', '')).toBeNull();
  expect(pickLayout([{ device: 'unknown', vw: 'unknown', pageviews: 4, clicks: 0 }], '', '')).toBeNull();
});
