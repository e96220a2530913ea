import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests of the dashboard's pure logic (URL state, formatting, heatmap and scroll-map math,
// element pinning). No DOM needed: the rendering code is kept out of these modules.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
