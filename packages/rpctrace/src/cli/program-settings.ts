/**
 * What the traced program is given, whichever way it runs (in the
 * command's own process, cli/in-process.ts, or in a process of its own,
 * run.ts): whether -c is counted in it, whether its tap may read the clock
 * coarsely, the --pcap writer, and the settings its preload reads. A module
 * of its own so that the command's front (cli/front.ts) starts an
 * in-process trace without loading run.ts's child mode, link mode and -p.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { RpcTraceError } from '../errors.js';
import { pcapngStart } from '../pcap.js';
import { SUMMARY_WHERE_ENV, TRACE_SUMMARY_ENV, encodeSummaryConfig } from '../summary-wire.js';
import { TRACE_CLOCK_ENV, TRACE_KERNEL_ENV } from '../wire.js';
import type { CliOptions } from './args.js';

/** --pcap: a writer of packets (null closes the file), or undefined without --pcap. */
export function openPcap(file: string | null): ((packet: Uint8Array | null) => void) | undefined {
  if (file === null) return undefined;
  let fd: number | null;
  try {
    fd = openSync(file, 'w');
    writeSync(fd, pcapngStart());
  } catch (e) {
    throw new RpcTraceError('invalid_option', `cannot write ${file}: ${(e as Error).message}`);
  }
  return (packet) => {
    if (fd === null) return;
    if (packet === null) {
      closeSync(fd);
      fd = null;
    } else writeSync(fd, packet);
  };
}

/**
 * -c is counted in the traced program (summary-tap.ts), which then sends its
 * tables instead of a record per message, unless an option needs the
 * records: --pcap (every message to the file). (--json and -ff do not go
 * with -c; -p and link mode take paths of their own.) HURD_RPCTRACE_SUMMARY_IN=tracer
 * keeps the records and counts in the tracer process, as before.
 */
export function countsInProgram(o: CliOptions, env: NodeJS.ProcessEnv): boolean {
  return o.summary && o.pcap === null && !o.json && !o.perTask && env[SUMMARY_WHERE_ENV] !== 'tracer';
}

/**
 * Whether the trace the command prints shows no record's time, so that the
 * tap may read the clock coarsely (TRACE_CLOCK_ENV): times show with -T, -t,
 * -tt, -ttt, -r, in --json objects, in --pcap packets and in -c's table
 * (when it is counted here, from records). Lines without any of these
 * never read a record's time.
 */
export function coarseClockFor(o: CliOptions): boolean {
  return o.time === 'none' && !o.showLatency && !o.json && o.pcap === null && !o.summary;
}

/**
 * NODE_OPTIONS with the preload: the command's own, and `--import=` the
 * preload's URL (`preloadUrl`, default: preload.js next to the built command).
 */
export function preloadOptions(preloadUrl: string | undefined): string {
  const preload = preloadUrl ?? new URL('./preload.js', import.meta.url).href;
  // A file URL has no blanks (they are %20), so NODE_OPTIONS needs no quoting.
  return [process.env.NODE_OPTIONS, `--import=${preload}`].filter((x) => x !== undefined && x !== '').join(' ');
}

/** The settings the preload reads (besides where to report): --kernel/--abi, -c counted in the program, the coarse clock. */
export function programEnv(o: CliOptions, inProgram: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  if (o.kernel !== null) env[TRACE_KERNEL_ENV] = o.kernel.abi === null ? o.kernel.backend : `${o.kernel.backend}:${o.kernel.abi}`;
  if (inProgram) {
    env[TRACE_SUMMARY_ENV] = encodeSummaryConfig({
      filter: o.filter,
      // Absolute: the program may change directory before it opens a kernel.
      defs: o.defs.map((f) => resolvePath(f)),
      includeDirs: o.includeDirs.map((d) => resolvePath(d)),
      msgids: o.msgids.map((f) => resolvePath(f)),
    });
  }
  if (coarseClockFor(o)) env[TRACE_CLOCK_ENV] = 'coarse';
  return env;
}
