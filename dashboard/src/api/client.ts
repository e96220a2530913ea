// The read API client: same-origin fetch with the session cookie, JSON errors turned into ApiError
// with a sentence a person can act on, aborts for superseded requests, and the CSRF token on
// state-changing requests.

import type { DayRange } from '../lib/dates';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reason = '',
  ) {
    super(message);
  }
  /** The endpoint is not there (an older server, or a feature not in this build). */
  get missing(): boolean {
    return this.status === 404 && this.reason.startsWith('no API endpoint');
  }
}

let csrf = '';
export function setCsrf(token: string): void {
  csrf = token;
}

function sentence(status: number, code: string, reason: string): string {
  if (status === 401) return 'Your session has ended. Reload the page to sign in again.';
  if (status === 0) return 'The Tapistry server could not be reached. Check that it is running, then retry.';
  if (status >= 500) return `The server had a problem answering (${status}${reason ? ': ' + reason : ''}).`;
  if (reason) return reason.charAt(0).toUpperCase() + reason.slice(1) + (reason.endsWith('.') ? '' : '.');
  return `The request failed (${status} ${code}).`;
}

async function request<T>(method: string, url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  let r: Response;
  try {
    r = await fetch(url, {
      method,
      signal,
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        ...(method !== 'GET' ? { 'X-CSRF-Token': csrf } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', sentence(0, 'network', ''));
  }
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!r.ok) {
    const j = (json ?? {}) as { error?: string; reason?: string };
    const code = j.error ?? String(r.status);
    throw new ApiError(r.status, code, sentence(r.status, code, j.reason ?? ''), j.reason ?? '');
  }
  if (r.status === 204) return undefined as T;
  if (json === undefined) throw new ApiError(r.status, 'bad_json', 'The server sent an answer the dashboard could not read.');
  return json as T;
}

export function get<T>(path: string, params: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<T> {
  return request<T>('GET', withQuery(path, params), undefined, signal);
}

export function post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return request<T>('POST', path, body, signal);
}

/** PUT / DELETE with the CSRF token (saved funnels). */
export function send<T>(method: 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return request<T>(method, path, body);
}

/** Ends this browser's dashboard session (POST /auth/signout → 204, the cookie cleared). */
export function signOut(): Promise<void> {
  return request<void>('POST', '/auth/signout', undefined);
}

export function withQuery(path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export interface Scope {
  project: string;
  range: DayRange;
  device?: string;
  vw?: string;
  path?: string;
  /** 'include': count traffic scored as bots too (default: excluded). */
  bots?: string;
}

/** The common parameters of every read endpoint. */
export function scopeParams(s: Scope): Record<string, string> {
  const p: Record<string, string> = { project_id: s.project, from: s.range.from, to: s.range.to };
  if (s.bots === 'include') p.bots = 'include';
  if (s.device) p.device = s.device;
  if (s.vw) p.vw = s.vw;
  if (s.path) p.path = s.path;
  return p;
}
