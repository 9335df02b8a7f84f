import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // Not `clean`: the two builds run in parallel and cleaning could race
    // with the scripts' output.
    clean: false,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
  },
  {
    // The model checker and the benchmark: plain Node scripts (no type stripping on Node 20).
    entry: { 'check/main': 'src/check/main.ts', 'bench/main': 'bench/main.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
  },
]);
