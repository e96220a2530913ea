// Pure logic behind Settings (issue 12): the project settings the server accepts (keys, ranges,
// labels — mirrors server/src/api/project_settings_json.cc), the diff a save sends, which field a
// 400 names, what an install problem means and how to fix it, and audit entries in words.

export interface ProjectSettings {
  allowed_origins: string[];
  retention_days: number;
  replay_retention_days: number;
  replay_session_kb: number;
  rate_project_rps: number;
  rate_ip_rps: number;
  rate_session_eps: number;
  store_raw_ua: boolean;
  respect_dnt: boolean;
  respect_gpc: boolean;
  /** no identifier stored in the browser; visitors named by a daily-salted hash (docs/privacy.md) */
  cookieless: boolean;
  /** only batches sent after setConsent are stored (docs/privacy.md "Consent") */
  require_consent: boolean;
  /** 0..1: the share of sessions whose events are stored */
  event_sample_rate: number;
  /** 0..1 */
  replay_sample_rate: number;
  replay_allow_selectors: string[];
  replay_mask_selectors: string[];
  replay_ignore_selectors: string[];
  query_allowlist: string[];
  /** "/product/:id", "/blog/*": many paths stored as one (docs/settings.md) */
  path_rules: string[];
}

export type SettingKey = keyof ProjectSettings;

export interface IntField {
  kind: 'int';
  key: SettingKey;
  label: string;
  min: number;
  max: number;
  unit: string;
  help?: string;
}

/** The whole-number settings and the ranges the server enforces. */
export const INT_FIELDS: Record<string, IntField> = {
  retention_days: { kind: 'int', key: 'retention_days', label: 'Events kept for', min: 1, max: 3650, unit: 'days' },
  replay_retention_days: { kind: 'int', key: 'replay_retention_days', label: 'Recordings kept for', min: 1, max: 3650, unit: 'days' },
  replay_session_kb: { kind: 'int', key: 'replay_session_kb', label: 'Recording size cap', min: 64, max: 65536, unit: 'KB per session', help: 'compressed; a session stops recording at the cap' },
  rate_project_rps: { kind: 'int', key: 'rate_project_rps', label: 'Project', min: 0, max: 1000000, unit: 'requests/s', help: '0: the server default' },
  rate_ip_rps: { kind: 'int', key: 'rate_ip_rps', label: 'Per client address', min: 0, max: 1000000, unit: 'requests/s', help: '0: the server default' },
  rate_session_eps: { kind: 'int', key: 'rate_session_eps', label: 'Per session', min: 0, max: 1000000, unit: 'events/s', help: '0: the server default' },
};

/** Human labels of every key (the audit log and error messages use them too). */
export const LABELS: Record<SettingKey, string> = {
  allowed_origins: 'Allowed origins',
  retention_days: 'Events retention (days)',
  replay_retention_days: 'Replay retention (days)',
  replay_session_kb: 'Recording size cap (KB)',
  rate_project_rps: 'Project rate limit (req/s)',
  rate_ip_rps: 'Per-address rate limit (req/s)',
  rate_session_eps: 'Per-session rate limit (events/s)',
  store_raw_ua: 'Store raw user agents',
  respect_dnt: 'Honour Do Not Track',
  respect_gpc: 'Honour Global Privacy Control',
  cookieless: 'Cookieless mode',
  require_consent: 'Require consent',
  event_sample_rate: 'Event sample rate',
  replay_sample_rate: 'Replay sample rate',
  replay_allow_selectors: 'Unmasked selectors',
  replay_mask_selectors: 'Masked selectors',
  replay_ignore_selectors: 'Ignored selectors',
  query_allowlist: 'Kept query parameters',
  path_rules: 'Path rules',
};

/** The settings typed as a percentage in the form (stored 0..1). */
export const RATE_KEYS = ['event_sample_rate', 'replay_sample_rate'] as const;
export type RateKey = (typeof RATE_KEYS)[number];

export const SETTING_KEYS = Object.keys(LABELS) as SettingKey[];

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** The keys whose draft value differs from the saved one, with the draft values (what PUT sends). */
export function settingsDiff(saved: ProjectSettings, draft: ProjectSettings): Partial<ProjectSettings> {
  const out: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) if (!same(saved[k], draft[k])) out[k] = draft[k];
  return out as Partial<ProjectSettings>;
}

/** The sample rate as a whole-ish percentage for the form (0.3 → 30). */
export function rateToPercent(r: number): number {
  return Math.round(r * 10000) / 100;
}
/** A percentage typed in the form → 0..1 (NaN stays NaN: the server names the range). */
export function percentToRate(p: number): number {
  return Math.round(p * 100) / 10000;
}

/**
 * The setting a 400 from PUT /api/settings is about: its reason starts with the key
 * ("retention_days must be a whole number 1..3650 (…)", "allowed_origins: \"x\" is not an origin…",
 * "unknown setting \"x\""). '' when it names none.
 */
export function fieldOfError(reason: string): SettingKey | '' {
  const m = /^([a-z_]+)/.exec(reason);
  return m && (SETTING_KEYS as string[]).includes(m[1]!) ? (m[1] as SettingKey) : '';
}

/** A 400 reason about `key`, said with the field's label ("Recording size cap (KB) must be …"). */
export function fieldMessage(reason: string, key: SettingKey): string {
  const text = reason.startsWith(key) ? LABELS[key] + reason.slice(key.length) : reason;
  return text.endsWith('.') ? text : text + '.';
}

/** An origin as the server stores it (lower case, no trailing slash), for "is it allowed?". */
export function normalOrigin(o: string): string {
  return o.trim().toLowerCase().replace(/\/+$/, '');
}

/** Whether `origin` is covered by the allowed list (none = any site; *.host for subdomains). */
export function originAllowed(allowed: string[], origin: string): boolean {
  if (allowed.length === 0) return true;
  const o = normalOrigin(origin);
  return allowed.some((a) => {
    const x = normalOrigin(a);
    if (x === '*' || x === o) return true;
    const star = /^(https?:\/\/)\*\.(.+)$/.exec(x);
    return !!star && o.startsWith(star[1]!) && o.endsWith('.' + star[2]!);
  });
}

export type ProblemReason = 'origin_not_allowed' | 'unknown_key' | 'missing_key' | 'do_not_track' | 'global_privacy_control' | 'rate_limited' | 'no_valid_events' | 'consent_required';

export interface InstallProblem {
  reason: ProblemReason | string;
  origin: string;
  count: number;
  last_ms: number;
}

export interface InstallStatus {
  last_event_ms: number;
  last_origin: string;
  /** requests whose events were stored, newest first: `accepted` events */
  recent: Array<{ ts_ms: number; origin: string; accepted: number }>;
  problems: InstallProblem[];
}

export interface Advice {
  title: string;
  fix: string;
  /** A fix the dashboard can apply (owners): add `origin` to the allowed origins. */
  action?: 'allow_origin';
}

/** A problem ingestion reported, in plain words with what to do about it. */
export function problemAdvice(p: InstallProblem): Advice {
  const from = p.origin ? ` from ${p.origin}` : '';
  const n = p.count === 1 ? '1 request' : `${p.count} requests`;
  const were = p.count === 1 ? 'was' : 'were';
  switch (p.reason) {
    case 'origin_not_allowed':
      return {
        title: `${n}${from} ${were} refused: that site is not an allowed origin`,
        fix: p.origin ? `Add ${p.origin} to the allowed origins (Settings tab) if it is your site.` : 'Add your site to the allowed origins (Settings tab).',
        action: p.origin ? 'allow_origin' : undefined,
      };
    case 'unknown_key':
      return {
        title: `${n}${from} used a project key this server does not know`,
        fix: 'The snippet on that page has an old or wrong key (the key was rotated, or it is another project’s). Copy the snippet above again.',
      };
    case 'do_not_track':
      return {
        title: `${n}${from} ${were} dropped: the browser sent Do Not Track`,
        fix: 'The browser asked not to be tracked and this project honours it. Test with Do Not Track off, or turn “Honour Do Not Track” off in the Settings tab.',
      };
    case 'global_privacy_control':
      return {
        title: `${n}${from} ${were} dropped: the browser sent Global Privacy Control`,
        fix: 'The browser asked not to be tracked (GPC) and this project honours it. Test in a browser without GPC, or turn “Honour Global Privacy Control” off.',
      };
    case 'rate_limited':
      return {
        title: `${n}${from} ${were} rate limited`,
        fix: 'More requests arrived than the project’s rate limits allow. Raise the limits in the Settings tab (0 uses the server default).',
      };
    case 'missing_key':
      return {
        title: `${n}${from} came without a project key`,
        fix: 'The page loads the SDK without the snippet’s key (data-project). Copy the snippet above again, unchanged.',
      };
    case 'consent_required':
      return {
        title: `${n}${from} ${were} not stored: sent before the visitor’s consent`,
        fix: 'This project stores events only after consent. Call tapistry(\'setConsent\', { analytics: true }) from your consent banner once the visitor agrees (Consent above), or turn “Require consent” off in the Settings tab.',
      };
    case 'no_valid_events':
      return {
        title: `${n}${from} could not be read`,
        fix: 'The events were malformed: the page may load a modified or very old SDK. Use the snippet above unchanged.',
      };
    default:
      return { title: `${n}${from} ${were} refused (${p.reason})`, fix: 'See the server log for details.' };
  }
}

/** What the server cannot see, for when nothing at all has arrived. */
export const INVISIBLE_CAUSES: string[] = [
  'The snippet is not on the page you opened (view the page source and search for “v1.js”), or the page is cached without it.',
  'A Content-Security-Policy blocks the script (script-src) or its requests (connect-src): the browser console says so. See the CSP examples above.',
  'An ad or tracking blocker in your browser blocks the script: try a private window without extensions.',
  'The page waits for consent before loading the snippet: accept in your consent banner first.',
];

export interface AuditEntry {
  id: number;
  ts_ms: number;
  actor: string;
  actor_email: string;
  action: string;
  details: Record<string, unknown>;
}

const ACTIONS: Record<string, string> = {
  'project.create': 'Created the project',
  'project.rename': 'Renamed the project',
  'project.delete': 'Deleted the project',
  'member.add': 'Added a member',
  'member.role': 'Changed a role',
  'member.remove': 'Removed a member',
  'settings.update': 'Changed settings',
  'key.rotate': 'Rotated the public key',
  'token.create': 'Made a read token',
  'token.revoke': 'Revoked a read token',
  'dsar.export': 'Exported a visitor’s data',
  'funnel.create': 'Saved a funnel',
  'funnel.update': 'Updated a funnel',
  'funnel.delete': 'Deleted a funnel',
  'dsar.delete': 'Deleted a visitor’s data',
};

export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action;
}

function show(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.map(String).join(', ') : '(none)';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (v === null || v === undefined || v === '') return '(none)';
  return String(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
}

/** What an audit entry changed, in words. */
export function auditDetails(e: Pick<AuditEntry, 'action' | 'details'>): string {
  const d = (e.details ?? {}) as Record<string, unknown>;
  switch (e.action) {
    case 'project.create':
      return `“${str(d.name)}”`;
    case 'project.rename':
      return `“${str(d.from)}” → “${str(d.to)}”`;
    case 'project.delete':
      return `${show(d.events)} events and ${show(d.recordings)} recordings removed`;
    case 'member.add':
      return `${str(d.email)} as ${str(d.role) || 'member'}`;
    case 'member.role':
      return `${str(d.email)}: ${str(d.previous_role) || '?'} → ${str(d.role)}`;
    case 'member.remove':
      return str(d.email) || str(d.user_id);
    case 'key.rotate':
      return `${str(d.previous_public_key)} → ${str(d.public_key)}`;
    case 'settings.update':
      return Object.entries(d)
        .map(([k, v]) => {
          const c = (v ?? {}) as { from?: unknown; to?: unknown };
          const label = LABELS[k as SettingKey] ?? k;
          if ((RATE_KEYS as readonly string[]).includes(k)) {
            const pct = (x: unknown) => (typeof x === 'number' ? rateToPercent(x) + ' %' : show(x));
            return `${label}: ${pct(c.from)} → ${pct(c.to)}`;
          }
          return `${label}: ${show(c.from)} → ${show(c.to)}`;
        })
        .join('; ');
    default: {
      if (typeof d.name === 'string') return `“${d.name}”`;
      const keys = Object.keys(d);
      return keys.length ? keys.map((k) => `${k}: ${show(d[k])}`).join('; ') : '';
    }
  }
}
