// Settings → Session replay: the masking preview on a page snapshot (mask-preview-panel.ts). Its
// code — the panel, the rules (lib/mask-preview.ts) and the snapshot frame — is a chunk of its own,
// loaded when the Settings tab shows: the rest of Settings never needs it.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html';
import { Skeleton } from './states';

export interface MaskPreviewProps {
  projectId: string;
  /** The draft (unsaved) selector lists. */
  mask: string[];
  allow: string[];
  ignore: string[];
}

type Panel = (props: MaskPreviewProps) => unknown;
let loading: Promise<Panel> | undefined;
const load = () => (loading ??= import('./mask-preview-panel').then((m) => m.MaskPreviewPanel as Panel));

export function MaskPreview(props: MaskPreviewProps) {
  const [Panel, setPanel] = useState<{ c: Panel } | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let current = true;
    load().then(
      (c) => current && setPanel({ c }),
      () => {
        loading = undefined;
        if (current) setFailed(true);
      },
    );
    return () => {
      current = false;
    };
  }, []);
  if (Panel) return html`<${Panel.c} ...${props} />`;
  return html`<section class="mask-preview" aria-labelledby="mp-h">
    <h3 id="mp-h">Preview on a page</h3>
    ${failed ? html`<p class="state-text" role="alert">The preview could not be loaded. Reload the page to try again.</p>` : html`<${Skeleton} lines=${4} height=${22} />`}
  </section>`;
}
