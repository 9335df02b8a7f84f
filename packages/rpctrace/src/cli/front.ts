/**
 * The command's front (dist/cli.js): the usual command line, `hurd-rpctrace
 * [opts] -- node SCRIPT`, goes straight to the in-process trace
 * (cli/in-process.ts); anything else (the child mode, link mode, -p, help,
 * a usage error) to runCli (cli/run.ts, dist/cli-run.js, loaded only then).
 * So a trace's start-up parses neither run.ts's child mode, link mode and
 * -f server nor their imports (BENCHMARKS.md, 2026-11-30 18:18 section).
 */
import { isRpcTraceError } from '../errors.js';
import { parseArgs, type CliOptions } from './args.js';
import type * as InProcess from './in-process.js';
import { nodeScriptOf, type NodeScript } from './node-script.js';
import { coarseClockFor, countsInProgram, openPcap, preloadOptions, programEnv } from './program-settings.js';
import type * as Run from './run.js';

/** The command: its exit status (an in-process trace never resolves: the program's end is the process's). */
export async function runCommand(argv: readonly string[]): Promise<number> {
  const here = inProcessCommand(argv);
  if (here === null) return (await loadModule<typeof Run>('cli-run.js', './run.js')).runCli(argv);
  try {
    return await startInProcess(here.options, here.script, undefined);
  } catch (e) {
    // As runCli says a usage or set-up error (an -o FILE that cannot be opened, bad --defs).
    if (isRpcTraceError(e)) {
      process.stderr.write(`hurd-rpctrace: ${e.message}\n`);
      return e.code === 'spawn_failed' ? 127 : 1;
    }
    throw e;
  }
}

/**
 * The options and script of a command line runCli would run in this
 * process (run.ts's runsInProcess with the command's io), else null: help
 * and usage errors are runCli's to say (it parses again).
 */
function inProcessCommand(argv: readonly string[]): { options: CliOptions; script: NodeScript } | null {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch {
    return null;
  }
  if (!('options' in parsed)) return null;
  const o = parsed.options;
  if (o.attach !== null || o.link !== null || o.separateProcess) return null;
  const script = nodeScriptOf(o.command, process.execPath, process.env.PATH, process.cwd());
  return script === null ? null : { options: o, script };
}

/** Runs `script` traced in this process (run.ts's trace does the same for a node script). */
export async function startInProcess(o: CliOptions, script: NodeScript, preloadUrl: string | undefined): Promise<never> {
  const { runInProcess } = await loadModule<typeof InProcess>('cli-in-process.js', './in-process.js');
  const inProgram = countsInProgram(o, process.env);
  // -f: what the child mode gives the program, for its children (the socket's settings are added there).
  const childEnv = o.follow ? { NODE_OPTIONS: preloadOptions(preloadUrl), ...programEnv(o, inProgram) } : null;
  return runInProcess({ options: o, command: script, countsInProgram: inProgram, coarseClock: coarseClockFor(o), pcap: openPcap(o.pcap), childEnv });
}

/** As run.ts's loadModule: the built module's own file next to this one's build, or the source module. */
async function loadModule<T>(built: string, source: string): Promise<T> {
  const spec = import.meta.url.endsWith('.ts') ? source : `./${built}`;
  return (await import(/* @vite-ignore */ spec)) as T;
}
