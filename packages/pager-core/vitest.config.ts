import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the sources of sibling packages, not their builds.
export default defineConfig({
  resolve: {
    alias: {
      'mach-msg': fileURLToPath(new URL('../mach-msg/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
