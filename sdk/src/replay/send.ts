// Chunks of recorded events to POST /r (docs/wire-format.md "POST /r"): events are buffered as
// JSON text; a chunk is cut when the buffer reaches MAX_CHUNK_RAW, FLUSH_MS after its first event,
// or at once after a full snapshot — never more than one a second (spec §18). It is gzipped with
// CompressionStream where the browser has it (sent as `?gz=1`, text/plain: no CORS preflight) and
// sent by fetch, one at a time, so chunk indexes arrive in order; 429 / 5xx / network errors are
// retried with backoff (Retry-After honoured), other 4xx drop the chunk. When the page is hidden
// or left, what is buffered goes at once by sendBeacon (uncompressed: compressing is async).
//
// Budgets: a single event over MAX_EVENT is dropped and a `tapistry.dropped` marker sent in its
// place; the session's compressed bytes are counted (in sessionStorage, with the next chunk index,
// so both survive page loads of the session) and past the project's cap the recording stops
// with a `tapistry.truncated` marker. Nothing is ever persisted but those numbers.

export const MAX_EVENT = 1 << 20;
export const MAX_CHUNK_RAW = 512 * 1024;
export const FLUSH_MS = 5000;
export const MIN_GAP_MS = 1000;
/** keepalive fetch and sendBeacon refuse bodies over 64 KB */
const KEEPALIVE = 60000;
/** room kept under the cap for the truncated marker and the server's own compression */
const HEADROOM = 16 * 1024;
const STORE = '_tapr';

type CS = new (format: string) => TransformStream<Uint8Array, Uint8Array>;

export interface SendState {
  /** session id */
  s: string;
  /** next chunk index */
  i: number;
  /** compressed bytes sent */
  b: number;
  /** truncated: recording is over for this session */
  x?: number;
}

export interface Sender {
  /** Buffers one event (an rrweb event object); false when the session's recording is over. */
  push(ev: { type: number; timestamp: number; data: unknown }): boolean;
  /** Cuts a chunk now (or as soon as the 1/s rate allows). */
  flush(): void;
  /** The page is hidden or left: everything buffered goes now. */
  unload(): void;
  state: SendState;
  /** Drops everything unsent and forgets the stored state (consent withdrawn). */
  stop(): void;
}

export interface SendOptions {
  /** POST /r URL with the key (`…/r?k=…`) */
  url: string;
  key: string;
  session: string;
  /** the session's byte cap (compressed) */
  cap: number;
  log: (...a: unknown[]) => void;
  /** called once when the recording of the session ends (cap reached, refused for good) */
  over: () => void;
}

export function loadState(session: string): SendState {
  try {
    const st = JSON.parse(sessionStorage.getItem(STORE) || 'null') as SendState | null;
    if (st && st.s === session) return st;
  } catch (e) {
    // storage blocked: state lives in memory only
  }
  return { s: session, i: 0, b: 0 };
}

function saveState(st: SendState): void {
  try {
    sessionStorage.setItem(STORE, JSON.stringify(st));
  } catch (e) {
    // storage blocked
  }
}

export function clearState(): void {
  try {
    sessionStorage.removeItem(STORE);
  } catch (e) {
    // storage blocked
  }
}

const marker = (tag: string, payload: object, t: number) => ({ type: 5, timestamp: t, data: { tag, payload } });

async function gzip(s: string): Promise<Blob | null> {
  const Comp = (window as Window & { CompressionStream?: CS }).CompressionStream;
  if (!Comp) return null;
  const cs = new Comp('gzip');
  const w = cs.writable.getWriter();
  w.write(new TextEncoder().encode(s)).catch(() => {});
  w.close().catch(() => {});
  return new Response(cs.readable).blob();
}

export function sender(o: SendOptions): Sender {
  const st = loadState(o.session);
  let buf: string[] = [];
  let raw = 0;
  let from = 0;
  let to = 0;
  let timer = 0;
  let lastSent = 0;
  /** chunks cut but not yet acknowledged, oldest first */
  const queue: Array<{ i: number; body: string; n: number }> = [];
  let busy = false;
  let attempt = 0;
  let ended = !!st.x;

  const end = (): void => {
    if (ended) return;
    ended = true;
    st.x = 1;
    saveState(st);
    o.over();
  };

  /** The envelope and events as JSON (docs/wire-format.md). */
  const body = (events: string[], f: number, t: number, i: number): string =>
    '{"k":' + JSON.stringify(o.key) + ',"v":1,"session_id":"' + st.s + '","chunk_index":' + i + ',"from_ms":' + f +
    ',"to_ms":' + t + ',"sent_at":' + Date.now() + ',"events":[' + events.join(',') + ']}';

  function cut(): void {
    clearTimeout(timer);
    timer = 0;
    if (!buf.length) return;
    queue.push({ i: st.i++, body: body(buf, from, to, st.i - 1), n: buf.length });
    saveState(st);
    buf = [];
    raw = 0;
    pump();
  }

  function schedule(ms: number): void {
    if (!timer) timer = setTimeout(flush, Math.max(ms, lastSent + MIN_GAP_MS - Date.now())) as unknown as number;
  }

  function flush(): void {
    clearTimeout(timer);
    timer = 0;
    if (Date.now() - lastSent < MIN_GAP_MS) return schedule(0);
    cut();
  }

  async function pump(): Promise<void> {
    if (busy || !queue.length) return;
    const c = queue[0]!;
    busy = true;
    let status = 0;
    let retry = 0;
    try {
      const gz = await gzip(c.body);
      const size = gz ? gz.size : c.body.length;
      if (!ended && st.b + size > o.cap - HEADROOM) {
        // over the session's budget: this chunk and the rest become the truncated marker
        const t = Date.now();
        const m = JSON.stringify(marker('tapistry.truncated', { bytes: st.b, cap: o.cap }, t));
        queue.length = 0;
        queue.push({ i: c.i, body: body([m], t, t, c.i), n: 1 });
        st.i = c.i + 1;
        buf = [];
        raw = 0;
        end();
        busy = false;
        return pump();
      }
      lastSent = Date.now();
      const res = await fetch(o.url + (gz ? '&gz=1' : ''), {
        method: 'POST',
        // text/plain (a string is sent as such): no CORS preflight
        body: gz ? new Blob([gz], { type: 'text/plain' }) : c.body,
        keepalive: size <= KEEPALIVE,
        credentials: 'omit',
      });
      status = res.status;
      const ra = +(res.headers.get('Retry-After') || 0);
      retry = ra > 0 ? ra * 1000 : 0;
      if (res.ok) st.b += size;
      if (status === 429) {
        try {
          // the server's cap (another tab of the session, another compressor): over for good
          if (((await res.json()) as { error?: string }).error === 'session_cap') {
            queue.length = 0;
            end();
          }
        } catch (e) {
          // not JSON: retried below
        }
      }
    } catch (e) {
      status = 0;
    }
    busy = false;
    if (status >= 200 && status < 300) {
      queue.shift();
      attempt = 0;
      saveState(st);
    } else if (status === 409) {
      // the index is taken (another tab of this session): the chunk moves to a new one
      c.i = st.i++;
      c.body = c.body.replace(/"chunk_index":\d+/, '"chunk_index":' + c.i);
      saveState(st);
    } else if (!status || status === 408 || status === 429 || status >= 500) {
      if (!queue.length) return;
      if (++attempt > 6) {
        o.log('replay: chunk dropped after retries', c.i);
        queue.shift();
        attempt = 0;
      } else {
        const base = Math.min(30000, 1000 * Math.pow(2, attempt - 1));
        setTimeout(() => void pump(), Math.max(retry, base / 2 + Math.random() * (base / 2)));
        return;
      }
    } else {
      o.log('replay: chunk refused', status);
      queue.shift();
    }
    if (queue.length) setTimeout(() => void pump(), Math.max(0, lastSent + MIN_GAP_MS - Date.now()));
  }

  function push(ev: { type: number; timestamp: number; data: unknown }): boolean {
    if (ended) return false;
    let s = JSON.stringify(ev);
    if (s.length > MAX_EVENT) {
      o.log('replay: event too big, dropped', ev.type, s.length);
      s = JSON.stringify(marker('tapistry.dropped', { type: ev.type, bytes: s.length }, ev.timestamp));
    }
    if (!buf.length) from = ev.timestamp;
    from = Math.min(from, ev.timestamp);
    to = Math.max(to, ev.timestamp);
    buf.push(s);
    raw += s.length;
    if (raw >= MAX_CHUNK_RAW) flush();
    else schedule(FLUSH_MS);
    return true;
  }

  function unload(): void {
    clearTimeout(timer);
    timer = 0;
    if (!buf.length || ended) return;
    const b = body(buf, from, to, st.i);
    if (b.length > KEEPALIVE) return cut(); // too big for a beacon: the async path, best effort
    let ok = false;
    try {
      ok = navigator.sendBeacon(o.url, b);
    } catch (e) {
      // no beacon
    }
    if (!ok) return cut();
    st.i++;
    st.b += b.length;
    saveState(st);
    buf = [];
    raw = 0;
  }

  function stop(): void {
    clearTimeout(timer);
    ended = true;
    buf = [];
    queue.length = 0;
    clearState();
  }

  return { push, flush, unload, state: st, stop };
}
