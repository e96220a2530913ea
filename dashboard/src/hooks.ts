// Data loading for panels: keeps the previous data while a new request runs (so the panel dims
// instead of flashing), aborts superseded requests, optional polling that never dims (skipped
// while the tab is hidden, and run at once when it is shown again), and a reload.

import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api/client';

export interface Query<T> {
  data?: T;
  error?: ApiError;
  /** A request is running for a new key (not a background poll). */
  loading: boolean;
  /** Loading for more than 200 ms: show a spinner. */
  slow: boolean;
  at?: number;
  reload(): void;
  /** Fetches again in the background (no dimming), as a poll does. */
  refresh(): void;
}

export function useQuery<T>(key: string | null, fn: (signal: AbortSignal) => Promise<T>, poll = 0): Query<T> {
  const [st, set] = useState<{ data?: T; error?: ApiError; loading: boolean; slow: boolean; at?: number; key?: string }>({
    loading: key !== null,
    slow: false,
  });
  const [tick, setTick] = useState(0);
  const quiet = useRef(false);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    if (key === null) {
      set({ loading: false, slow: false });
      return;
    }
    const ac = new AbortController();
    const background = quiet.current;
    quiet.current = false;
    if (!background) set((s) => ({ ...s, loading: true, slow: false, error: undefined, data: s.key === key || s.data ? s.data : undefined }));
    const slowTimer = setTimeout(() => set((s) => (s.loading ? { ...s, slow: true } : s)), 200);
    fnRef.current(ac.signal).then(
      (data) => {
        clearTimeout(slowTimer);
        set({ data, loading: false, slow: false, at: Date.now(), key });
      },
      (e: unknown) => {
        clearTimeout(slowTimer);
        if ((e as Error)?.name === 'AbortError') return;
        const err = e instanceof ApiError ? e : new ApiError(0, 'client', (e as Error)?.message || 'Something went wrong.');
        // a failed background poll keeps showing the data it has
        set((s) => (background && s.data !== undefined ? { ...s, loading: false } : { ...s, error: err, loading: false, slow: false, key }));
      },
    );
    return () => {
      clearTimeout(slowTimer);
      ac.abort();
    };
  }, [key, tick]);
  useEffect(() => {
    if (!poll || key === null) return;
    const refresh = () => {
      if (document.hidden) return;
      quiet.current = true;
      setTick((n) => n + 1);
    };
    // hidden tabs skip the polls; coming back into view refreshes at once
    const t = setInterval(refresh, poll);
    document.addEventListener('visibilitychange', refresh);
    return () => {
      clearInterval(t);
      document.removeEventListener('visibilitychange', refresh);
    };
  }, [key, poll]);
  return {
    data: st.data,
    error: st.error,
    loading: st.loading,
    slow: st.slow,
    at: st.at,
    reload: () => setTick((n) => n + 1),
    refresh: () => {
      quiet.current = true;
      setTick((n) => n + 1);
    },
  };
}

/** Re-renders every `ms` (for "updated 4s ago"). */
export function useNow(ms: number): number {
  const [now, set] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => set(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** The width of an element, tracked with a ResizeObserver. */
export function useWidth<E extends HTMLElement>(): [preactRef: { current: E | null }, width: number] {
  const ref = useRef<E | null>(null);
  const [w, set] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    set(el.clientWidth);
    const ro = new ResizeObserver(() => set(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref.current]);
  return [ref, w];
}
