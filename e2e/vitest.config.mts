import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

// End-to-end: Debian's Chromium (playwright-core) against the real server (build/tapistry) and
// sample sites built locally from npm packages. Serial: one browser at a time on 2 cores.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.test.ts'],
    // the dashboard's files start their own server: scripts/test-dashboard runs them (vitest.dashboard.config.mts)
    exclude: [...configDefaults.exclude, 'dashboard-*.test.ts'],
    globalSetup: ['./global-setup.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60000,
    hookTimeout: 180000,
  },
});
