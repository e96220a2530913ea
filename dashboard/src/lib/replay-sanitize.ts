// The player's third wall (docs/replay.md#security): before @rrweb/replay sees a recording, the
// player frame makes its DOM inert, whatever a forged chunk carries. The sandbox of the rebuild
// frame (no scripts) and the player's CSP (no inline script, no network) already stop what this
// removes; this keeps a browser bug or a policy mistake in one wall from being enough.
//
// Serialized nodes keep their ids (later mutations refer to them): a dangerous element is renamed
// to an inert, hidden one instead of being dropped.
import type { RrEvent } from './replay-events';

const FULL = 2;
const INCR = 3;
const SRC_MUTATION = 0;
const ELEMENT = 2;

/** Elements that run script, navigate the frame, or load a document: renamed to this one. */
const INERT = 'tap-removed';
const DANGEROUS = new Set(['script', 'base', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'noscript']);
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background', 'codebase', 'ping', 'srcset', 'imagesrcset', 'manifest']);

/** A URL that runs script or shows a document of its own when followed. */
export function scriptUrl(v: string): boolean {
  // browsers drop ASCII whitespace and controls inside the scheme
  const s = v.replace(/[\u0000-\u0020\u007f]+/g, '').toLowerCase();
  return s.startsWith('javascript:') || s.startsWith('vbscript:') || s.startsWith('data:text/html') || s.startsWith('data:image/svg') || s.startsWith('data:application');
}

/** Whether an attribute (name, value) may stay; `tag` is the element's lowercased name. */
export function safeAttribute(tag: string, name: string, value: unknown): boolean {
  const n = name.toLowerCase();
  if (n.startsWith('on') || n === 'srcdoc' || n === 'formaction' || n === 'ping' || n === 'autofocus') return false;
  if (tag === 'meta' && (n === 'http-equiv' || n === 'content')) return false;
  if (tag === 'link' && n === 'rel' && typeof value === 'string' && /\b(import|prefetch|preload|prerender|modulepreload|manifest|serviceworker)\b/i.test(value)) return false;
  if (typeof value === 'string' && (URL_ATTRS.has(n) || n.endsWith(':href')) && scriptUrl(value)) return false;
  return true;
}

function cleanAttributes(tag: string, attrs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) if (safeAttribute(tag, k, v)) out[k] = v;
  return out;
}

/** Makes a serialized node and its subtree inert, in place. */
export function sanitizeNode(node: any, depth = 0): void {
  if (!node || typeof node !== 'object' || depth > 2000) return;
  if (node.type === ELEMENT) {
    const tag = String(node.tagName ?? '').toLowerCase();
    if (DANGEROUS.has(tag)) {
      node.tagName = INERT;
      node.isSVG = false;
      node.attributes = { style: 'display:none' };
    } else if (node.attributes && typeof node.attributes === 'object') {
      node.attributes = cleanAttributes(tag, node.attributes);
    }
  }
  if (Array.isArray(node.childNodes)) for (const c of node.childNodes) sanitizeNode(c, depth + 1);
}

/** Makes an event's DOM (a full snapshot, or a mutation's added nodes and attributes) inert, in place. */
export function sanitizeEvent(e: RrEvent): RrEvent {
  const d = e.data;
  if (!d || typeof d !== 'object') return e;
  if (e.type === FULL) sanitizeNode(d.node);
  else if (e.type === INCR && d.source === SRC_MUTATION) {
    if (Array.isArray(d.adds)) for (const a of d.adds) sanitizeNode(a?.node);
    if (Array.isArray(d.attributes)) {
      for (const a of d.attributes) {
        if (!a || typeof a.attributes !== 'object' || a.attributes === null) continue;
        // the element's name is not in the mutation: judge as if it could be any element
        const kept: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(a.attributes as Record<string, unknown>)) {
          if (safeAttribute('meta', k, v) && safeAttribute('link', k, v)) kept[k] = v;
        }
        a.attributes = kept;
      }
    }
  }
  return e;
}
