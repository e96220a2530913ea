// One layout per picture (issue 13): a heatmap, scroll map or element view shows one device class
// and one viewport width bucket, on the snapshot taken at that width. /api/layouts counts the page
// views and clicks of a page per (device, width); these pure functions turn that into the Desktop /
// Tablet / Mobile tabs with their counts and pick the layout shown: the one the URL names, else the
// busiest of the named device (or width), else the busiest of the page.
import type { LayoutCount } from '../api/types';
import { DEVICES, type Device as AnyDevice, type Viewport, VIEWPORTS } from './url-state';

export type Device = Exclude<AnyDevice, ''>;
export type Width = Exclude<Viewport, ''>;

export interface DeviceTab {
  device: Device;
  views: number;
  clicks: number;
  /** Width buckets of this device, busiest first. */
  widths: Array<{ vw: Width; views: number; clicks: number }>;
}

const busier = (a: { views: number; clicks: number }, b: { views: number; clicks: number }) => b.views - a.views || b.clicks - a.clicks;

/** Tabs in the fixed order Desktop, Tablet, Mobile; a device without data has a tab with 0. */
export function deviceTabs(layouts: readonly LayoutCount[]): DeviceTab[] {
  const order: Device[] = ['desktop', 'tablet', 'mobile'];
  return order.map((device) => {
    const widths = layouts
      .filter((l) => l.device === device && (VIEWPORTS as readonly string[]).includes(l.vw))
      .map((l) => ({ vw: l.vw as Width, views: l.pageviews, clicks: l.clicks }))
      .sort(busier);
    return { device, widths, views: widths.reduce((a, w) => a + w.views, 0), clicks: widths.reduce((a, w) => a + w.clicks, 0) };
  });
}

/** Page views and clicks whose device or width is unknown: they are in no tab. */
export function unplacedLayouts(layouts: readonly LayoutCount[]): { views: number; clicks: number } {
  const out = { views: 0, clicks: 0 };
  for (const l of layouts) {
    if ((DEVICES as readonly string[]).includes(l.device) && (VIEWPORTS as readonly string[]).includes(l.vw)) continue;
    out.views += l.pageviews;
    out.clicks += l.clicks;
  }
  return out;
}

/** The layout to show for the filters in the URL, or null when the page has no known layout at all. */
export function pickLayout(layouts: readonly LayoutCount[], device: Device | '', vw: Viewport): { device: Device; vw: Width } | null {
  const tabs = deviceTabs(layouts);
  const all = tabs.flatMap((t) => t.widths.map((w) => ({ device: t.device, ...w }))).sort(busier);
  const hit = all.find((l) => (!device || l.device === device) && (!vw || l.vw === vw));
  if (hit) return { device: hit.device, vw: hit.vw };
  if (device) {
    // a device (tab) the URL names keeps being shown, empty if it has no data at that width
    const own = all.find((l) => l.device === device);
    return { device, vw: vw || own?.vw || TYPICAL[device] };
  }
  const any = all[0];
  return any ? { device: any.device, vw: any.vw } : null;
}

/** The width bucket of a device with no data yet. */
const TYPICAL: Record<Device, Width> = { desktop: '1440+', tablet: '768-1023', mobile: '0-479' };
