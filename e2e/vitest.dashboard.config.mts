import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The dashboard's end-to-end suite: Debian's Chromium (playwright-core) against the real server
// (build/tapistry with dashboard/dist embedded) and the sample sites. Each file starts its own
// server and data dir (e2e/lib/dashboard.ts). Serial: one browser at a time on 2 cores.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['dashboard-*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 90000,
    hookTimeout: 60000,
  },
});
