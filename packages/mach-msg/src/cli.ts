/**
 * The `mach-msg` command (bin/mach-msg.mjs runs the build of this file).
 * All the work is in runCli, which tests call directly.
 */
import { runCli } from './cli/run.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // runCli reports every error itself; this is only reached on a bug in it.
    process.stderr.write(`mach-msg: internal: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
