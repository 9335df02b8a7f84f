/**
 * The `hurd-rpctrace` command (bin/hurd-rpctrace.mjs runs the build of this
 * file). The work is in cli/front.ts (an in-process trace) and runCli
 * (cli/run.ts: everything else; tests call it directly).
 */
import { runCommand } from './cli/front.js';

runCommand(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`hurd-rpctrace: internal: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
