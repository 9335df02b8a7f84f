/**
 * The `hurd-rpctrace` command (bin/hurd-rpctrace.mjs runs the build of this
 * file). All the work is in runCli, which tests call directly.
 */
import { runCli } from './cli/run.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`hurd-rpctrace: internal: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
