// Runs before the snippet on every demo page (a plain, blocking <script>, so it is in place before
// the async /v1.js runs): the snippet's queue, so the config below applies before the first event.
// The demo's text is ours, so heatmap snapshots keep it; by default the SDK masks all text (form
// values and [data-tapistry-mask] stay masked either way).
window.tapistry = window.tapistry || function () { (window.tapistry.q = window.tapistry.q || []).push(arguments); };
tapistry('config', { maskText: false });
