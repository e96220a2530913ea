import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests of the SDK. Every test runs the SDK inside its own jsdom window, either bundled from
// source (default) or from the minified build in sdk/dist (TAP_SDK_DIST=1, after `node sdk/build.mjs`).
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20000,
    pool: 'threads',
  },
});
