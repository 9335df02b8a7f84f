import { defineConfig } from 'tsup';

// Bundles the conformance runner with the simulated kernel and mach-msg taken
// from their sources (the "@hurd-cluster/source" export condition), so that
// `pnpm conformance` never runs against a stale dist.
export default defineConfig({
  entry: { run: 'conformance/run.ts' },
  outDir: 'conformance/dist',
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: false,
  sourcemap: false,
  clean: true,
  noExternal: [/.*/],
  esbuildOptions(options) {
    options.conditions = ['@hurd-cluster/source'];
  },
});
