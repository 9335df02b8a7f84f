import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
  },
  {
    // Runnable scripts: the simulator, its shrinker and the benchmark (not part of the API).
    entry: { simulate: 'src/sim/simulate.ts', shrink: 'src/sim/shrink.ts', bench: 'bench/bench.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: false,
    clean: false,
    target: 'node20',
    tsconfig: 'tsconfig.json',
    // Bundle the workspace sibling from its sources so the scripts run
    // without building mach-msg first.
    noExternal: ['mach-msg'],
    esbuildOptions(o) {
      o.conditions = ['@hurd-cluster/source', 'import', 'default'];
    },
  },
]);
