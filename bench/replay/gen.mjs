// Builds rrweb recordings by hand (the serialized-node format of rrweb-snapshot, the event format
// of docs/replay.md) and posts them to POST /r as forged chunks: shared by the player's e2e tests
// (the XSS corpus) and the player bench (a generated 1-hour session).

/** A serialized DOM, with ids assigned in document order. */
export class Doc {
  constructor() {
    this.next = 1;
  }
  id() {
    return this.next++;
  }
  el(tagName, attributes = {}, childNodes = [], extra = {}) {
    return { type: 2, tagName, attributes, childNodes, id: this.id(), ...extra };
  }
  text(textContent) {
    return { type: 3, textContent, id: this.id() };
  }
  /** A whole document: `<!doctype html><html><head>…</head><body>…</body></html>`. */
  document(head, body, bodyAttributes = {}) {
    const docId = this.id();
    const doctype = { type: 1, name: 'html', publicId: '', systemId: '', id: this.id() };
    const html = this.el('html', { lang: 'en' }, [this.el('head', {}, head), this.el('body', bodyAttributes, body)]);
    return { type: 0, childNodes: [doctype, html], id: docId };
  }
}

export const meta = (timestamp, href, width = 1280, height = 800) => ({ type: 4, timestamp, data: { href, width, height } });
export const full = (timestamp, node) => ({ type: 2, timestamp, data: { node, initialOffset: { top: 0, left: 0 } } });
export const move = (timestamp, x, y) => ({ type: 3, timestamp, data: { source: 1, positions: [{ x, y, id: 1, timeOffset: 0 }] } });
export const click = (timestamp, id, x, y) => ({ type: 3, timestamp, data: { source: 2, type: 2, id, x, y } });
export const input = (timestamp, id, text) => ({ type: 3, timestamp, data: { source: 5, id, text, isChecked: false } });
export const scroll = (timestamp, y) => ({ type: 3, timestamp, data: { source: 3, id: 1, x: 0, y } });
/** A text change of node `id` (a mutation). */
export const textMutation = (timestamp, id, value) => ({ type: 3, timestamp, data: { source: 0, texts: [{ id, value }], attributes: [], removes: [], adds: [] } });
export const custom = (timestamp, tag, payload) => ({ type: 5, timestamp, data: { tag, payload } });

/**
 * Posts `events` as chunks of at most `perChunk` events to /r, honouring 429 Retry-After (a
 * session may send one chunk a second, five at once). Returns the number of chunks.
 */
export async function postChunks(origin, key, siteOrigin, sessionId, events, perChunk = 2000, firstIndex = 0) {
  let index = firstIndex;
  for (let i = 0; i < events.length; i += perChunk) {
    const part = events.slice(i, i + perChunk);
    const body = JSON.stringify({
      k: key,
      v: 1,
      session_id: sessionId,
      chunk_index: index,
      from_ms: part[0].timestamp,
      to_ms: part[part.length - 1].timestamp,
      events: part,
    });
    for (;;) {
      const r = await fetch(`${origin}/r`, { method: 'POST', headers: { 'Content-Type': 'text/plain', Origin: siteOrigin }, body });
      if (r.status === 429 || r.status === 503) {
        const wait = Number(r.headers.get('retry-after') ?? '1');
        const text = await r.text();
        if (text.includes('session_cap')) throw new Error(`POST /r: session cap reached at chunk ${index}`);
        await new Promise((res) => setTimeout(res, Math.max(0.2, Math.min(wait, 5)) * 1000));
        continue;
      }
      if (!r.ok) throw new Error(`POST /r chunk ${index}: ${r.status} ${await r.text()}`);
      break;
    }
    index++;
  }
  return index - firstIndex;
}

/** A random v4 UUID. */
export function uuid() {
  return crypto.randomUUID();
}
