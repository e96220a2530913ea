// The replay player's host (issue 10; UX.md "Replays"; docs/replay.md#the-player). The dashboard
// fetches the session's chunks in order (chunk 0 first: the first frame shows while the rest is
// still downloading), inflates them (DecompressionStream) and hands the events to the player
// frame (/app/player.html: sandboxed, under a CSP that blocks every network load and inline
// script), which makes them inert and rebuilds the page with @rrweb/replay in a script-less inner
// frame. The
// controls live here, so they are ordinary dashboard UI: the timeline with markers and compressed
// idle stretches, play / pause, speed, skip inactivity, the activity list, the current URL, the
// keyboard shortcuts and a link to the moment (URL `t=`, seconds).
//
// The frame is the only thing that touches the recording's DOM; everything shown here from the
// recording (URLs, error messages) is rendered as text.
import { Component, createRef } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type ApiError, get } from '../api/client';
import type { Project, ReplayChunk, ReplaySession } from '../api/types';
import { Link } from '../components/link';
import { ErrorPanel, Spinner } from '../components/states';
import { html } from '../html';
import type { FromFrame, ToFrame } from '../lib/player-messages';
import {
  clock,
  currentMarker,
  extractMarkers,
  idleSpans,
  type Marker,
  mergeEvents,
  parseChunk,
  type RrEvent,
  skipTarget,
  SPEEDS,
  Timeline,
  urlAt,
} from '../lib/replay-events';
import { storedPath } from '../lib/page-path';
import { type AppState, build } from '../lib/url-state';
import { recall, remember } from '../store';

/** How many chunks are downloaded ahead of the one being handed to the frame. */
const PREFETCH = 3;
const SEEK_STEP_MS = 10000;

const MARKER_LABEL: Record<Marker['kind'], string> = {
  page: 'Page view',
  click: 'Click',
  input: 'Input',
  error: 'Error',
  truncated: 'Truncated',
  paused: 'Recording paused',
};

// The two long lists (a tick and an entry per marker: hundreds in an hour) re-render only when
// the markers, the timeline's geometry or the playing entry change, not at every clock report.
class Ticks extends Component<{ markers: Marker[]; tl: Timeline }> {
  shouldComponentUpdate(n: { markers: Marker[]; tl: Timeline }) {
    return n.markers !== this.props.markers || n.tl !== this.props.tl;
  }
  render() {
    const { markers, tl } = this.props;
    return html`<div class="tl-markers" aria-hidden="true">
      ${markers.map((m) => html`<span class=${'tl-marker tl-' + m.kind} data-kind=${m.kind} style=${{ left: tl.pos(m.t) * 100 + '%' }} title=${`${MARKER_LABEL[m.kind]} at ${clock(m.t)}${m.kind === 'page' || m.kind === 'error' ? ': ' + m.label : ''}`}></span>`)}
    </div>`;
  }
}

type ActivityProps = { markers: Marker[]; current: number; onSeek: (t: number) => void };
class ActivityList extends Component<ActivityProps> {
  private list = createRef<HTMLOListElement>();
  shouldComponentUpdate(n: ActivityProps) {
    return n.markers !== this.props.markers || n.current !== this.props.current;
  }
  componentDidUpdate(prev: ActivityProps) {
    // keep the playing entry in view (inside the list, never scrolling the page)
    const ol = this.list.current;
    const li = ol?.children[this.props.current] as HTMLElement | undefined;
    if (!ol || !li || prev.current === this.props.current) return;
    if (li.offsetTop < ol.scrollTop || li.offsetTop + li.offsetHeight > ol.scrollTop + ol.clientHeight) ol.scrollTop = li.offsetTop - ol.clientHeight / 3;
  }
  render() {
    const { markers, current, onSeek } = this.props;
    return html`<ol class="activity-list" ref=${this.list}>
      ${markers.map(
        (m, i) => html`<li class=${'activity activity-' + m.kind + (i === current ? ' current' : '')} aria-current=${i === current ? 'true' : undefined}>
          <button type="button" onClick=${() => onSeek(m.t)} title=${'Play from ' + clock(m.t)}>
            <span class="activity-time">${clock(m.t)}</span>
            <span class="activity-kind">${MARKER_LABEL[m.kind]}</span>
            ${(m.kind === 'page' || m.kind === 'error') && html`<span class="activity-label">${m.label}</span>`}
          </button>
        </li>`,
      )}
    </ol>`;
  }
}

async function fetchChunk(project: string, session: string, n: number, signal: AbortSignal): Promise<RrEvent[]> {
  const r = await fetch(`/api/replays/${encodeURIComponent(session)}/chunks/${n}?project_id=${encodeURIComponent(project)}`, {
    credentials: 'same-origin',
    signal,
  });
  if (!r.ok || !r.body) throw new Error(`Chunk ${n} of this recording could not be loaded (${r.status}).`);
  const text = await new Response(r.body.pipeThrough(new DecompressionStream('gzip'))).text();
  return parseChunk(text).events;
}

function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el?.tagName && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

type Phase = 'loading' | 'ready' | 'error' | 'empty';

export function ReplayPlayer(props: { s: AppState; project: Project }) {
  const { s, project } = props;
  const frame = useRef<HTMLIFrameElement>(null);
  const bar = useRef<HTMLDivElement>(null);
  const frameLoaded = useRef<Promise<void> | null>(null);
  const resolveFrame = useRef<() => void>(() => {});
  if (!frameLoaded.current) frameLoaded.current = new Promise((r) => (resolveFrame.current = r));
  // the frame shares this thread (same origin): nothing else is parsed until the first frame shows
  const firstShown = useRef<{ p: Promise<void>; done: () => void } | null>(null);
  if (!firstShown.current) {
    let done = () => {};
    firstShown.current = { p: new Promise<void>((r) => (done = r)), done: () => done() };
  }

  const [phase, setPhase] = useState<Phase>('loading');
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [meta, setMeta] = useState<ReplaySession | null>(null);
  const [events, setEvents] = useState<RrEvent[]>([]);
  const [allLoaded, setAllLoaded] = useState(false);
  const [firstFrame, setFirstFrame] = useState(false);
  const [cur, setCur] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(() => {
    const v = Number(recall('replay.speed'));
    return (SPEEDS as readonly number[]).includes(v) ? v : 1;
  });
  const [skip, setSkip] = useState(() => recall('replay.skip') !== 'off');
  const [buffering, setBuffering] = useState(false);
  const [skipping, setSkipping] = useState(false);
  const [copied, setCopied] = useState(false);
  const [attempt, setAttempt] = useState(0);

  // mutable state the message handler reads (it is registered once)
  const live = useRef({ cur: 0, playing: false, skip, pending: -1, loadedEnd: 0, allLoaded: false, seekId: 0, seekSent: new Map<number, number>(), spans: [] as ReturnType<typeof idleSpans>, wantPlay: false });

  const post = (m: ToFrame) => frame.current?.contentWindow?.postMessage(m, location.origin);

  const t0 = events[0]?.timestamp ?? 0;
  const loadedEnd = events.length ? events[events.length - 1]!.timestamp - t0 : 0;
  const duration = Math.max(loadedEnd, allLoaded ? 0 : (meta?.duration_ms ?? 0));
  const markers = useMemo(() => extractMarkers(events, { truncated: allLoaded && !!meta?.truncated }), [events, allLoaded, meta?.truncated]);
  const spans = useMemo(() => idleSpans(events, loadedEnd), [events, loadedEnd]);
  const tl = useMemo(() => new Timeline(Math.max(duration, 1), spans, skip), [duration, spans, skip]);
  live.current.skip = skip;
  live.current.spans = spans;
  live.current.loadedEnd = loadedEnd;
  live.current.allLoaded = allLoaded;

  function seek(at: number, play = live.current.playing) {
    const target = Math.max(0, Math.min(at, Math.max(duration, loadedEnd)));
    setCur(target);
    live.current.cur = target;
    if (target > live.current.loadedEnd && !live.current.allLoaded) {
      // not downloaded yet: go there when it is
      live.current.pending = target;
      live.current.wantPlay = play;
      setBuffering(true);
      post({ t: 'pause' });
      return;
    }
    live.current.pending = -1;
    setBuffering(false);
    const id = ++live.current.seekId;
    live.current.seekSent.set(id, performance.now());
    post({ t: 'seek', at: target, play, id });
  }

  function setPlay(on: boolean) {
    if (on) {
      const from = live.current.cur >= Math.max(duration, loadedEnd) - 50 && live.current.allLoaded ? 0 : live.current.cur;
      seek(from, true);
    } else {
      live.current.pending = -1;
      setBuffering(false);
      post({ t: 'pause' });
    }
    live.current.playing = on;
    setPlaying(on);
  }

  // messages from the frame
  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      if (!frame.current || e.source !== frame.current.contentWindow) return;
      const m = e.data as FromFrame;
      if (!m || typeof m !== 'object') return;
      const L = live.current;
      if (m.t === 'frame') {
        setFirstFrame(true);
        firstShown.current?.done();
        const root = document.querySelector('.replay-player');
        if (root && !root.hasAttribute('data-first-frame-ms')) root.setAttribute('data-first-frame-ms', String(Math.round(performance.now())));
      } else if (m.t === 'time' && typeof m.at === 'number') {
        if (L.pending >= 0) return;
        let at = m.at;
        if (L.playing && L.skip) {
          const to = skipTarget(L.spans, at);
          if (to > at + 50) {
            setSkipping(true);
            setTimeout(() => setSkipping(false), 800);
            const id = ++L.seekId;
            L.seekSent.set(id, performance.now());
            post({ t: 'seek', at: to, play: true, id });
            at = to;
          }
        }
        L.cur = at;
        setCur(at);
        if (L.playing && at >= L.loadedEnd && !L.allLoaded) {
          L.pending = at;
          L.wantPlay = true;
          setBuffering(true);
        }
      } else if (m.t === 'seeked') {
        const sent = L.seekSent.get(m.id);
        L.seekSent.delete(m.id);
        const root = document.querySelector('.replay-player');
        if (sent !== undefined && root) {
          root.setAttribute('data-seek-ms', (performance.now() - sent).toFixed(1));
          root.setAttribute('data-seek-work-ms', Number(m.work).toFixed(1));
          root.setAttribute('data-seeks', String(Number(root.getAttribute('data-seeks') ?? 0) + 1));
        }
      } else if (m.t === 'end') {
        if (L.allLoaded) {
          L.playing = false;
          setPlaying(false);
        }
      } else if (m.t === 'error') {
        setError(new Error('The player could not show this recording: ' + String(m.message)));
        setPhase('error');
      }
    };
    addEventListener('message', onMessage);
    return () => removeEventListener('message', onMessage);
  }, []);

  // download: chunk 0 first, then the rest in order, a few ahead
  useEffect(() => {
    const ac = new AbortController();
    const L = live.current;
    L.pending = s.t > 0 ? s.t * 1000 : -1;
    L.wantPlay = false;
    setPhase('loading');
    setError(null);
    setEvents([]);
    setAllLoaded(false);
    setFirstFrame(false);
    (async () => {
      try {
        // chunk 0 (nearly always the first) is asked for at once, beside the index and the frame
        const chunk0 = fetchChunk(project.id, s.session, 0, ac.signal);
        chunk0.catch(() => {});
        const info = await get<{ session: ReplaySession; chunks: ReplayChunk[] }>(`/api/replays/${encodeURIComponent(s.session)}`, { project_id: project.id }, ac.signal);
        setMeta(info.session);
        const indexes = info.chunks.map((c) => c.chunk_index);
        if (indexes.length === 0) {
          setPhase('empty');
          return;
        }
        const started = new Map<number, Promise<RrEvent[]>>();
        if (indexes[0] === 0) started.set(0, chunk0);
        const start = (i: number) => {
          if (i < indexes.length && !started.has(i)) started.set(i, fetchChunk(project.id, s.session, indexes[i]!, ac.signal));
        };
        let all: RrEvent[] = [];
        let loaded = false;
        await frameLoaded.current;
        for (let i = 0; i < indexes.length; i++) {
          for (let k = i; k <= i + PREFETCH; k++) start(k);
          const evs = await started.get(i)!;
          started.delete(i);
          if (ac.signal.aborted) return;
          all = all.length === 0 || evs.length === 0 || evs[0]!.timestamp >= all[all.length - 1]!.timestamp ? all.concat(evs) : mergeEvents([all, evs]);
          if (!loaded) {
            if (all.length < 2 && i < indexes.length - 1) continue;
            post({ t: 'load', events: all, speed, project: project.id });
            loaded = true;
            await Promise.race([firstShown.current!.p, new Promise((r) => setTimeout(r, 3000))]);
          } else {
            post({ t: 'add', events: evs });
          }
          const isLast = i === indexes.length - 1;
          L.loadedEnd = all[all.length - 1]!.timestamp - all[0]!.timestamp;
          L.allLoaded = isLast;
          setEvents(all);
          if (isLast) setAllLoaded(true);
          setPhase('ready');
          if (L.pending >= 0 && (L.pending <= L.loadedEnd || isLast)) {
            const at = Math.min(L.pending, L.loadedEnd);
            L.pending = -1;
            setBuffering(false);
            L.cur = at;
            setCur(at);
            const id = ++L.seekId;
            L.seekSent.set(id, performance.now());
            // give rrweb a moment to add the events it was handed (it does so in microtasks)
            await new Promise((r) => setTimeout(r, 0));
            post({ t: 'seek', at, play: L.wantPlay, id });
            if (L.wantPlay) {
              L.playing = true;
              setPlaying(true);
            }
          }
        }
      } catch (e) {
        if ((e as Error).name === 'AbortError') return;
        setError(e as Error);
        setPhase('error');
      }
    })();
    return () => ac.abort();
  }, [project.id, s.session, attempt]);

  useEffect(() => {
    remember('replay.speed', String(speed));
    post({ t: 'speed', v: speed });
  }, [speed]);
  useEffect(() => remember('replay.skip', skip ? 'on' : 'off'), [skip]);

  // keyboard: space, ←/→ ±10 s, ↑/↓ speed (registered on document so the app's ←/→ period keys,
  // on window, see the event as handled)
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.metaKey || e.ctrlKey || typing(e.target)) return;
      const onButton = (e.target as HTMLElement)?.closest?.('button, a, select');
      if (e.key === ' ' && !onButton) {
        e.preventDefault();
        setPlay(!live.current.playing);
      } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        e.preventDefault();
        const step = e.altKey ? 1000 : SEEK_STEP_MS;
        seek(live.current.cur + (e.key === 'ArrowLeft' ? -step : step));
      } else if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
        e.preventDefault();
        const i = SPEEDS.indexOf(speed as (typeof SPEEDS)[number]);
        const j = Math.max(0, Math.min(SPEEDS.length - 1, i + (e.key === 'ArrowUp' ? 1 : -1)));
        setSpeed(SPEEDS[j]!);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  const curIdx = currentMarker(markers, cur);
  // a stable callback for the activity list (which skips re-rendering) that seeks with this render's state
  const seekRef = useRef(seek);
  seekRef.current = seek;
  const onSeek = useRef((t: number) => seekRef.current(t)).current;

  // a link to this moment; the address bar follows when playback stops
  const momentUrl = (at: number) => location.origin + build({ ...s, t: Math.round(at / 100) / 10 });
  useEffect(() => {
    if (!playing && phase === 'ready' && firstFrame) history.replaceState(null, '', build({ ...s, t: Math.round(cur / 100) / 10 }));
  }, [playing, phase, firstFrame, cur < 0 ? 0 : Math.round(cur / 100)]);

  const onBar = (e: PointerEvent) => {
    const el = bar.current;
    if (!el || (e.type === 'pointermove' && !(e.buttons & 1))) return;
    const r = el.getBoundingClientRect();
    seek(tl.time((e.clientX - r.left) / r.width));
  };

  const url = urlAt(markers, cur);
  const heatPath = url ? storedPath(url) : '';
  const back = { ...s, session: '', t: 0 };
  const overlay = phase === 'error' ? null : !firstFrame ? 'Loading the recording…' : buffering ? 'Buffering…' : skipping ? 'Skipping inactivity' : null;
  return html`<div class="page replay-player" data-phase=${phase} data-first-frame=${firstFrame ? '1' : undefined} data-time=${Math.round(cur)} data-duration=${Math.round(duration)}
      data-loaded=${allLoaded ? '1' : undefined}>
    <div class="page-header replay-head">
      <div class="page-title-row">
        <${Link} to=${back} class="btn btn-small">← Replays<//>
        <h1>Replay${meta && html` <span class="muted replay-when">${new Date(meta.first_ts).toISOString().slice(0, 19).replace('T', ' ')} UTC</span>`}</h1>
        ${meta?.truncated && html`<span class="badge badge-warn" data-truncated title="The recording reached the session's size cap: what follows was not recorded">truncated</span>`}
      </div>
      <div class="replay-url" title="The page on screen"><span class="sr-only">Page on screen: </span><span class="replay-url-text">${url || '—'}</span>
        ${heatPath && html`<${Link} to=${{ ...s, route: 'heatmaps', session: '', t: 0, path: heatPath }} class="btn btn-small replay-heatmap-link"
          title=${'Where everyone clicks on ' + heatPath + ' (the period of your last view)'}>Heatmap of this page<//>`}</div>
    </div>
    ${phase === 'error' && error && html`<div class="card"><${ErrorPanel} error=${error} retry=${() => setAttempt((n) => n + 1)} what="This replay" /></div>`}
    ${phase === 'empty' && html`<div class="card"><p class="state-text">This session has no stored chunks.</p></div>`}
    <div class="replay-body" hidden=${phase === 'error' || phase === 'empty'}>
      <div class="replay-main">
        <div class="replay-stage">
          <iframe ref=${frame} class="replay-frame" src="/app/player.html" sandbox="allow-scripts allow-same-origin" title="Session replay" tabindex="-1"
            referrerpolicy="no-referrer" onLoad=${() => resolveFrame.current()}></iframe>
          ${overlay && html`<div class="replay-overlay" role="status">${overlay === 'Loading the recording…' || overlay === 'Buffering…' ? html`<${Spinner} label=${overlay} /> ` : ''}${overlay}</div>`}
        </div>
        <div class="replay-timeline" ref=${bar} role="slider" tabindex="0" aria-label="Position in the replay (←/→ 10 s)"
            aria-valuemin="0" aria-valuemax=${Math.round(duration / 1000)} aria-valuenow=${Math.round(cur / 1000)} aria-valuetext=${clock(cur) + ' of ' + clock(duration)}
            onPointerDown=${(e: PointerEvent) => {
              (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
              onBar(e);
            }} onPointerMove=${onBar}>
          <div class="tl-track">
            <div class="tl-buffered" style=${{ width: tl.pos(loadedEnd) * 100 + '%' }}></div>
            ${tl.idleBands().map((b) => html`<div class="tl-idle" style=${{ left: b.from * 100 + '%', width: Math.max(0.2, (b.to - b.from) * 100) + '%' }} title="Inactive"></div>`)}
            <div class="tl-progress" style=${{ width: tl.pos(cur) * 100 + '%' }}></div>
            <div class="tl-thumb" style=${{ left: tl.pos(cur) * 100 + '%' }}></div>
          </div>
          <${Ticks} markers=${markers} tl=${tl} />
        </div>
        <div class="replay-controls">
          <button type="button" class="btn btn-primary replay-play" onClick=${() => setPlay(!playing)} aria-label=${playing ? 'Pause (space)' : 'Play (space)'} title=${playing ? 'Pause (space)' : 'Play (space)'}
            disabled=${!firstFrame}>${playing ? '❚❚ Pause' : '▶ Play'}</button>
          <button type="button" class="btn btn-small" onClick=${() => seek(cur - SEEK_STEP_MS)} title="Back 10 s (←)" aria-label="Back 10 seconds">−10 s</button>
          <button type="button" class="btn btn-small" onClick=${() => seek(cur + SEEK_STEP_MS)} title="Forward 10 s (→)" aria-label="Forward 10 seconds">+10 s</button>
          <span class="replay-clock" aria-live="off"><span data-clock>${clock(cur)}</span> / ${clock(duration)}</span>
          <label class="replay-speed" title="Speed (↑/↓)">Speed <select value=${String(speed)} onChange=${(e: Event) => setSpeed(Number((e.target as HTMLSelectElement).value))}>
            ${SPEEDS.map((v) => html`<option value=${String(v)}>${v}×</option>`)}
          </select></label>
          <label class="replay-skip" title="Jump over stretches of more than 5 s without interaction"><input type="checkbox" checked=${skip} onChange=${(e: Event) => setSkip((e.target as HTMLInputElement).checked)} /> Skip inactivity</label>
          <span class="replay-spacer"></span>
          <a class="btn btn-small" href=${momentUrl(cur)} data-moment-link onClick=${(e: MouseEvent) => {
            e.preventDefault();
            navigator.clipboard?.writeText(momentUrl(cur)).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            }, () => {});
          }} title="Copy a link that opens the replay at this moment">${copied ? 'Link copied ✓' : 'Link to this moment'}</a>
        </div>
        <p class="muted small replay-keys">Keys: space play / pause · ←/→ 10 s (Alt: 1 s) · ↑/↓ speed</p>
      </div>
      <aside class="card replay-activity" aria-labelledby="activity-h">
        <h2 id="activity-h" class="card-title">Activity ${!allLoaded && phase === 'ready' ? html`<${Spinner} label="Loading the rest of the recording" />` : ''}</h2>
        ${markers.length === 0 ? html`<p class="muted small">${allLoaded ? 'No page views, clicks or inputs recorded.' : 'Loading…'}</p>` : ''}
        <${ActivityList} markers=${markers} current=${curIdx} onSeek=${onSeek} />
      </aside>
    </div>
  </div>`;
}
