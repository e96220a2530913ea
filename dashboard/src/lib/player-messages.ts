// The postMessage protocol between the dashboard's replay page (the host: fetches and inflates the
// chunks, draws the controls) and the player frame (/app/player.html: a sandboxed frame under a CSP
// that lets it fetch nothing; it runs @rrweb/replay and nothing else). Times are ms from the
// recording's first event. The host checks that a message comes from its frame's window; the
// frame that it comes from its parent with the server's origin.
import type { RrEvent } from './replay-events';

export type ToFrame =
  /** `project`: whose replay asset route serves the recording's stylesheets, images and fonts */
  | { t: 'load'; events: RrEvent[]; speed: number; project: string }
  | { t: 'add'; events: RrEvent[] }
  | { t: 'play'; at?: number }
  | { t: 'pause'; at?: number }
  | { t: 'seek'; at: number; play: boolean; id: number }
  | { t: 'speed'; v: number };

export type FromFrame =
  | { t: 'ready' }
  | { t: 'frame' }
  | { t: 'time'; at: number; playing: boolean }
  | { t: 'seeked'; id: number; at: number; /** ms rrweb took to rebuild and apply, synchronously */ work: number }
  | { t: 'end' }
  | { t: 'error'; message: string };
