// Test entry: the SDK's internals, bundled with the same minifier settings as the release builds so
// the unit tests can run against minified code (sdk/test/load.ts). Not shipped.
export * as config from './core/config';
export * as consent from './core/consent';
export * as env from './core/env';
export * as frame from './frame/handshake';
export * as hash from './core/hash';
export * as ids from './core/ids';
export * as pii from './core/pii';
export * as sanitize from './core/sanitize';
export * as selector from './core/selector';
export * as replayMutations from './replay/mutations';
export * as replayNodes from './replay/nodes';
export * as snapshot from './snapshot/serialize';
export * as snapshotPolicy from './snapshot/policy';
export * as snapshotWalk from './snapshot/walk';
export * as snapshotCss from './snapshot/css';
export * as snapshotMask from './snapshot/mask';
export * as snapshotUrls from './snapshot/urls';
