// Points a recording's stylesheets, images and fonts at the server's replay asset route
// (docs/replay.md "Assets"): /api/replay-asset?project_id=P&url=<the recorded URL>. The server
// fetched them when the chunk arrived (its asset cache: address guard, limits, CSS rewriting) and
// keeps them, so a replay renders as recorded after the site changed or removed them. The player
// frame's CSP allows images, fonts and stylesheets from that route only: a URL this misses loads
// nothing. Applied by the player frame after lib/replay-sanitize.ts, in full snapshots and in
// mutations (added nodes, changed attributes; a changed text of a <style> is not recognised as
// CSS in a mutation and stays refused by the CSP).
//
// Which URLs: <link rel=stylesheet|icon> href, SVG <image>/<use>/<feImage> href, src, srcset,
// poster, background, CSS url() / @import / image-set() in style="" and <style> text and a link's
// recorded _cssText. Relative URLs resolve against the recorded page (the meta event's href); the
// fragment is kept after the proxied URL (an SVG sprite's #id). The server reads the same list when a
// chunk arrives (server/src/replay/replay_assets.cc), so it has fetched what the player asks for.
import { assetUrl, rewriteSrcset, sanitizeCss, type SnapshotContext } from './snapshot';
import type { RrEvent } from './replay-events';

/** The server's replay asset route (docs/api.md). */
export const REPLAY_ASSET_PATH = '/api/replay-asset';

const FULL = 2;
const INCR = 3;
const META = 4;
const SRC_MUTATION = 0;
const ELEMENT = 2;
const TEXT = 3;

export interface ReplayAssetContext {
  projectId: string;
  /** The dashboard's origin (the player frame's own). */
  self: string;
  /** The recorded page's URL: relative URLs resolve against it (updated by meta events). */
  base?: string;
}

const snapCtx = (c: ReplayAssetContext): SnapshotContext => ({ projectId: c.projectId, self: c.self, base: c.base, path: REPLAY_ASSET_PATH, proxySelf: true });

function attr(tag: string, name: string, value: unknown, c: ReplayAssetContext, rel: string): unknown {
  if (typeof value !== 'string') return value;
  const n = name.toLowerCase();
  const ctx = snapCtx(c);
  if (n === 'style' || n === '_csstext') return sanitizeCss(value, ctx);
  if (n === 'srcset') return rewriteSrcset(value, (u) => assetUrl(u, 'asset', ctx));
  if (n === 'src' || n === 'poster' || n === 'background') return assetUrl(value, 'asset', ctx) ?? '';
  if (n === 'href' || n === 'xlink:href') {
    if (tag === 'link') return assetUrl(value, /\bstylesheet\b/i.test(rel) ? 'style' : 'asset', ctx) ?? '';
    if (tag === 'image' || tag === 'use' || tag === 'feimage') return assetUrl(value, 'asset', ctx) ?? '';
  }
  return value;
}

function rewriteNode(node: any, c: ReplayAssetContext, depth = 0): void {
  if (!node || typeof node !== 'object' || depth > 2000) return;
  if (node.type === ELEMENT && node.attributes && typeof node.attributes === 'object') {
    const tag = String(node.tagName ?? '').toLowerCase();
    const rel = typeof node.attributes.rel === 'string' ? node.attributes.rel : '';
    for (const k of Object.keys(node.attributes)) node.attributes[k] = attr(tag, k, node.attributes[k], c, rel);
  } else if (node.type === TEXT && node.isStyle && typeof node.textContent === 'string') {
    node.textContent = sanitizeCss(node.textContent, snapCtx(c));
  }
  if (Array.isArray(node.childNodes)) for (const ch of node.childNodes) rewriteNode(ch, c, depth + 1);
}

/**
 * An event with its asset URLs pointed at the replay asset route, in place. `c.base` follows the
 * meta events (call this for every event, in order).
 */
export function rewriteEventAssets(e: RrEvent, c: ReplayAssetContext): RrEvent {
  const d = e.data;
  if (!d || typeof d !== 'object') return e;
  if (e.type === META && typeof d.href === 'string') {
    try {
      c.base = new URL(d.href).href;
    } catch {
      // not a URL: keep the last one
    }
  } else if (e.type === FULL) {
    rewriteNode(d.node, c);
  } else if (e.type === INCR && d.source === SRC_MUTATION) {
    if (Array.isArray(d.adds)) for (const a of d.adds) rewriteNode(a?.node, c);
    if (Array.isArray(d.attributes)) {
      for (const a of d.attributes) {
        if (!a || typeof a.attributes !== 'object' || a.attributes === null) continue;
        const attrs = a.attributes as Record<string, unknown>;
        for (const [k, v] of Object.entries(attrs)) {
          if (k.toLowerCase() === 'style' && v && typeof v === 'object') {
            // a style change as declarations: {prop: value | [value, priority] | false}
            const decl = v as Record<string, unknown>;
            for (const [p, pv] of Object.entries(decl)) {
              if (typeof pv === 'string') decl[p] = sanitizeCss(pv, snapCtx(c));
              else if (Array.isArray(pv)) decl[p] = pv.map((x) => (typeof x === 'string' ? sanitizeCss(x, snapCtx(c)) : x));
            }
          } else {
            // the element is not named in the mutation: only what loads on any element
            attrs[k] = k.toLowerCase() === 'href' ? v : attr('', k, v, c, '');
          }
        }
      }
    }
  }
  return e;
}
