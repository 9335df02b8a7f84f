import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the sources of sibling packages, not their builds.
export default defineConfig({
  resolve: {
    alias: {
      'mach-msg': fileURLToPath(new URL('../mach-msg/src/index.ts', import.meta.url)),
      'hurd-ffi': fileURLToPath(new URL('../hurd-ffi/src/index.ts', import.meta.url)),
      'netmsg-wire': fileURLToPath(new URL('../netmsg-wire/src/index.ts', import.meta.url)),
      'pager-core': fileURLToPath(new URL('../pager-core/src/index.ts', import.meta.url)),
    },
  },
  test: {
    // Hang guards, not timing assertions: property tests and the Debian
    // package fetch in beforeAll can take a while on a loaded 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    include: ['test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
