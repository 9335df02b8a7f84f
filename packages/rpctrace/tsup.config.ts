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
    // The parts the command loads only when it needs them (cli/run.ts's loadModule), each a file of
    // its own: link mode (dist/link/trace-link.js), -p (dist/attach-cli.js, next to attach-agent.cjs),
    // and the tracer side, loaded while the program starts (dist/cli-consume.js: the decoder, mach-msg).
    entry: {
      // The command's front: an in-process trace (cli/front.ts); everything else loads cli-run.js (cli/run.ts).
      cli: 'src/cli.ts',
      'cli-run': 'src/cli/run.ts',
      preload: 'src/preload.ts',
      'link/trace-link': 'src/link/trace-link.ts',
      'attach-cli': 'src/attach/attach-cli.ts',
      'cli-consume': 'src/cli/consume.ts',
      // -c counted in the traced program: the preload loads summary-tap.js (the tracer, mach-msg) only then,
      // and the command cli-summary.js (the tables' merge, no decoder) instead of cli-consume.js.
      'summary-tap': 'src/summary-tap.ts',
      'cli-summary': 'src/cli/summary-consume.ts',
      // A node script run in the command's own process (the tap and the record loop together).
      'cli-in-process': 'src/cli/in-process.ts',
      // ... and with -f, the socket its children report to (node:net, node:crypto: loaded only then).
      'cli-in-process-follow': 'src/cli/in-process-follow.ts',
      'cli-follow-worker': 'src/cli/follow-worker.ts',
    },
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
