import { defineConfig } from 'tsup';

// The end-to-end tests' node binary: the CLI bundled from source, the sibling
// packages from their sources too (the '@hurd-cluster/source' condition), so
// a child process runs exactly the code beside the tests, whatever state the
// packages' dist folders are in. Written to $NETMSG_E2E_OUT (a private
// directory, so concurrent test files never share a build).
export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  outDir: process.env['NETMSG_E2E_OUT'] ?? 'node_modules/.e2e-build',
  dts: false,
  sourcemap: false,
  clean: false,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  noExternal: [/^(mach-msg|netmsg-wire|hurd-ffi|pager-core)(\/|$)/],
  esbuildOptions(o) {
    o.conditions = ['@hurd-cluster/source'];
  },
});
