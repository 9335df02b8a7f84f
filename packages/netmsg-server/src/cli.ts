/**
 * The `netmsg-server` command (bin/netmsg-server.mjs runs the build of this
 * file). All the work is in runCli, which tests call directly.
 */
import { runCli } from './cli/run.js';

// `netmsg-server cat … | head`: a closed pipe ends output, not the process with a trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`netmsg-server: internal: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
