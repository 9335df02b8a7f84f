import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The test configuration every package shares. Sibling packages resolve to
 * their sources, not their builds, so a test always runs the code beside it;
 * each package writes vitest's JSON report, which CI sums
 * (scripts/summarize.mjs).
 */
export function packageTestConfig(siblings: readonly string[]) {
  const alias = Object.fromEntries(
    siblings.map((name) => [name, fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))]),
  );
  return defineConfig({
    resolve: { alias },
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
}
