import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: { entry: 'src/index.ts' },
    sourcemap: true,
    clean: false,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
  },
  {
    // The command and the module the traced program loads (`--import`, the tap bundled in): ESM only.
    // src/link/trace-link.ts: link mode, which the command loads only when asked (dist/link/trace-link.js).
    entry: ['src/cli.ts', 'src/preload.ts', 'src/link/trace-link.ts'],
    format: ['esm'],
    // No shared chunks: fixed file names, so builds overwrite rather than pile up
    // (the two configs build in parallel, so neither may clean dist).
    splitting: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
  },
  {
    // What hurd-rpctrace -p loads into a running program through its inspector:
    // CommonJS, because code the inspector evaluates has require() but no import() in Node 20.
    entry: { 'attach-agent': 'src/attach/agent.ts' },
    format: ['cjs'],
    splitting: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
  },
]);
