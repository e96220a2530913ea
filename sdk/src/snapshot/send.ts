// Encoding and sending a snapshot: the JSON body of `POST /s` (docs/api.md "Snapshots") built
// piece by piece in idle slices, gzipped by CompressionStream where it exists (then sent as
// `?gz=1`: a Content-Encoding header would cost a CORS preflight), capped at 2 MB. Over the cap it
// is encoded once more without the heavy pieces (srcset, big data: URLs), then given up.

import { lighten, type Serialized } from './serialize';
import { sliced, YIELD } from './idle';

/** The server's limit on a snapshot body as sent (gzip or not). */
export const MAX_BYTES = 2 * 1024 * 1024;
/** The server's limits on the body after inflating: size, and inflated / compressed ratio. */
export const MAX_RAW_BYTES = 16 * 1024 * 1024;
export const MAX_RATIO = 100;
/** Text handed to the compressor at once: compressing it is one short task (~1–3 ms). */
const CHUNK = 128 * 1024;

export interface Encoded {
  /** gzip bytes, or the JSON text when the browser has no CompressionStream */
  body: Blob | string;
  gz: boolean;
  /** as sent */
  bytes: number;
  /** the JSON text's UTF-8 size (before compression) */
  raw: number;
}

type CS = new (format: string) => TransformStream<Uint8Array, Uint8Array>;

/**
 * `head` + the escaped HTML + `"}`; `lite` leaves out the heavy pieces; `plain` never compresses.
 */
export async function encode(head: string, r: Serialized, lite: boolean, plain?: boolean): Promise<Encoded> {
  const heavy = lite ? r.heavy : [];
  const Comp = plain ? undefined : (window as Window & { CompressionStream?: CS }).CompressionStream;
  let write: (s: string) => void;
  let finish: () => Promise<Encoded>;
  if (Comp) {
    const cs = new Comp('gzip');
    const collected = new Response(cs.readable).blob();
    const w = cs.writable.getWriter();
    const enc = new TextEncoder();
    const noop = (): void => {};
    let raw = 0;
    write = (s) => {
      const bytes = enc.encode(s);
      raw += bytes.length;
      w.write(bytes).catch(noop);
    };
    finish = async () => {
      w.close().catch(noop);
      const b = await collected;
      return { body: b, gz: true, bytes: b.size, raw };
    };
  } else {
    const pieces: string[] = [];
    write = (s) => {
      pieces.push(s);
    };
    finish = async () => {
      const s = pieces.join('');
      const bytes = new Blob([s]).size;
      return { body: s, gz: false, bytes, raw: bytes };
    };
  }
  let buf = head;
  let i = 0;
  let h = 0;
  await sliced(() => {
    if (i < r.parts.length) {
      let p = r.parts[i]!;
      if (heavy[h] === i) {
        p = lighten(p);
        h++;
      }
      i++;
      buf += JSON.stringify(p).slice(1, -1);
      if (buf.length < CHUNK) return false;
      write(buf);
      buf = '';
      return YIELD;
    }
    write(buf + '"}');
    return true;
  });
  return finish();
}

/** Whether the server will take it: ≤ 2 MB as sent, ≤ 16 MB and ≤ 100× once inflated. */
export function fits(e: Encoded): boolean {
  return e.bytes <= MAX_BYTES && e.raw <= MAX_RAW_BYTES && (!e.gz || e.raw <= e.bytes * MAX_RATIO);
}

/**
 * POSTs an encoded snapshot; text/plain and no custom header, so no preflight. `url` carries the
 * key (`?k=`): the server checks it before it inflates the body.
 */
export function post(url: string, e: Encoded): Promise<Response> {
  return fetch(e.gz ? url + (url.includes('?') ? '&' : '?') + 'gz=1' : url, {
    method: 'POST',
    body: e.gz ? new Blob([e.body], { type: 'text/plain' }) : e.body,
    credentials: 'omit',
  });
}
