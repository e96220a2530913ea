// The install snippet for a project, filled in from the server's SDK manifest (origin, key, SRI
// hash), with a copy button. Shown in empty states ("no data yet — here is your snippet") and in
// Settings → Install.
import { useState } from 'preact/hooks';
import { get } from '../api/client';
import type { Project, SdkManifest } from '../api/types';
import { useQuery } from '../hooks';
import { html } from '../html';
import { Icon } from './icons';
import { ErrorPanel, Skeleton } from './states';

export function fillSnippet(m: SdkManifest, origin: string, key: string): string {
  const integrity = m.files['tapistry.js']?.integrity ?? '';
  const tpl =
    m.snippet ??
    "<script>(function(w,d,s,u,k){w.tapistry=w.tapistry||function(){(w.tapistry.q=w.tapistry.q||[]).push(arguments)};var js=d.createElement(s);js.async=1;js.src=u;js.dataset.project=k;js.crossOrigin='anonymous';js.integrity='{{INTEGRITY}}';d.head.appendChild(js)})(window,document,'script','{{ORIGIN}}/v1.js','{{PROJECT_KEY}}');</script>";
  return tpl.replace(/\{\{ORIGIN\}\}/g, origin).replace(/\{\{PROJECT_KEY\}\}/g, key).replace(/\{\{INTEGRITY\}\}/g, integrity);
}

export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
    } catch {
      // clipboard refused (http origin): fall back to a selection the user can copy
      const ta = document.createElement('textarea');
      ta.value = props.text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return html`<button type="button" class="btn btn-small" onClick=${copy} aria-live="polite">
    <${Icon} name="copy" size=${14} />${done ? 'Copied ✓' : (props.label ?? 'Copy')}</button>`;
}

export function Snippet(props: { project: Project }) {
  const q = useQuery<SdkManifest>('manifest', (signal) => get<SdkManifest>('/v1/manifest.json', {}, signal));
  if (q.error) return html`<${ErrorPanel} error=${q.error} retry=${q.reload} what="The snippet" />`;
  if (!q.data) return html`<${Skeleton} lines=${4} />`;
  const code = fillSnippet(q.data, location.origin, props.project.public_key);
  return html`<div class="snippet">
    <div class="snippet-head"><span>Paste in the <code>${'<head>'}</code> of every page</span><${CopyButton} text=${code} label="Copy snippet" /></div>
    <pre class="code" tabindex="0" aria-label="Install snippet"><code>${code}</code></pre>
  </div>`;
}
