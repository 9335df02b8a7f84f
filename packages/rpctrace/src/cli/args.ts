/** Command-line parsing for hurd-rpctrace (commander), into plain options. */
import { Command, CommanderError, Option } from 'commander';
import { RpcTraceError } from '../errors.js';
import { parseFilter } from '../filter.js';
import { defaultSecretFile, parseHostPort } from '../link/secret.js';
import type { TimeStyle } from '../render.js';

export interface CliOptions {
  filter: string[];
  summary: boolean;
  showLatency: boolean;
  time: TimeStyle;
  output: string | null;
  strsize: number;
  json: boolean;
  includeDirs: string[];
  defs: string[];
  msgids: string[];
  /** --pcap FILE. */
  pcap: string | null;
  /** -y: decorate port names with what they are. */
  decorate: boolean;
  /**
   * --kernel/--abi: the backend (and ABI) every openKernel of the traced
   * program gets, whatever it asked; null: the program's own choice.
   */
  kernel: { backend: 'sim' | 'gnumach'; abi: 'i386' | 'x86_64' | null } | null;
  /** -f: also trace the traced program's child processes (lines tagged `[pid N]`). */
  follow: boolean;
  /** Link mode (--listen/--connect), or null to run `command`. */
  link: { listen: { host: string; port: number }; connect: { host: string; port: number }; secretFile: string } | null;
  command: string[];
  /** -p PID: attach to this running Node program instead of running `command` (src/attach/). */
  attach: number | null;
  /** -ff (with -o FILE): one file per traced task, FILE.<task> (per-task.ts). */
  perTask: boolean;
}

export const USAGE = 'hurd-rpctrace [options] -- node app.js [args...]  |  hurd-rpctrace [options] -p PID  |  hurd-rpctrace [options] --listen HOST:PORT --connect HOST:PORT';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/**
 * strace spells its time styles -t, -tt, -ttt; commander would read -tt as
 * two -t flags, so they are renamed before parsing (only before the `--`).
 */
function normalize(argv: readonly string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const a of argv) {
    if (rest || a === '--') {
      rest = true;
      out.push(a);
    } else out.push(a === '-tt' ? '--tt' : a === '-ttt' ? '--ttt' : a === '-ff' ? '--ff' : a);
  }
  return out;
}

/** Parses argv (without node and the script); throws RpcTraceError('invalid_option') or returns help text. */
export function parseArgs(argv: readonly string[]): { options: CliOptions } | { help: string } {
  const program = new Command('hurd-rpctrace')
    .usage('[options] -- node app.js [args...]\n       hurd-rpctrace [options] -p PID\n       hurd-rpctrace [options] --listen HOST:PORT --connect HOST:PORT [--secret-file FILE]')
    .description('Trace the Mach RPCs of a program that runs tasks on hurd-ffi kernels, or crossing a netmsg link, one line per RPC.')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .option('-e, --expr <expr>', 'trace=NAME,%class,... | trace=!NAME... | status=failed|successful|all', collect, [])
    .option('-c, --summary-only', 'count calls, errors and times per routine; print a table at the end')
    .option('-T, --syscall-times', 'show the time from request to reply')
    .option('-t', 'prefix lines with the time of day')
    .addOption(new Option('--tt', 'time of day with microseconds (-tt)'))
    .addOption(new Option('--ttt', 'seconds since the epoch with microseconds (-ttt)'))
    .option('-r, --relative-timestamps', 'prefix lines with the time since the previous line')
    .option('-o, --output <file>', 'write the trace to FILE instead of stderr')
    .addOption(new Option('--ff', 'with -o FILE: one file per traced task, FILE.<task> (-ff)'))
    .option('-p, --attach <pid>', 'trace the running Node program PID (through its inspector, opened with SIGUSR1 for the moment of attaching) until Ctrl-C or its exit')
    .option('-s, --string-limit <size>', 'longest string or data printed', '80')
    .option('--json', 'one JSON object per message (schema in README)')
    .option('-I, --include <dir>', 'load every .defs and .msgids file in DIR (and resolve .defs imports there)', collect, [])
    .option('--defs <file>', 'a .defs file naming and decoding more routines', collect, [])
    .option('-i, --rpc-list <file>', 'a .msgids file naming more message ids', collect, [])
    .option('--pcap <file>', 'also write what is traced to a pcapng file (open with wireshark/netmsg.lua)')
    .option('-y, --decode-ports', 'show what a port is: the file behind an io port, memory objects')
    .option('-f, --follow-forks', "also trace the program's child processes (lines tagged [pid N])")
    .option('--kernel <backend>', "the traced program's kernels run on BACKEND: sim, or gnumach (the real GNU Mach under QEMU)")
    .option('--abi <abi>', 'with --kernel: the ABI of those kernels, i386 or x86_64 (default: what the program asks, else x86_64)')
    .option('--listen <host:port>', 'link mode: accept netmsg-wire peers here...')
    .option('--connect <host:port>', '...and splice each to this node, tracing what crosses')
    .option('--secret-file <file>', "link mode: the links' shared secret (default: netmsg-server's secret file)")
    .argument('[command...]', 'the program to run');
  try {
    program.parse(normalize(argv), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return { help: program.helpInformation() };
      throw new RpcTraceError('invalid_option', e.message.replace(/^error: /, ''));
    }
    throw e;
  }
  const o = program.opts<Record<string, unknown>>();
  const strsize = Number(o.stringLimit);
  if (!Number.isInteger(strsize) || strsize < 0) throw new RpcTraceError('invalid_option', `-s wants a non-negative integer, got '${String(o.stringLimit)}'`);
  const time: TimeStyle = o.ttt === true ? 'ttt' : o.tt === true ? 'tt' : o.t === true ? 't' : o.relativeTimestamps === true ? 'r' : 'none';
  parseFilter(o.expr as string[]); // checked now: a bad -e is a usage error
  const command = program.args;
  let link: CliOptions['link'] = null;
  if (o.listen !== undefined || o.connect !== undefined) {
    if (typeof o.listen !== 'string' || typeof o.connect !== 'string') throw new RpcTraceError('invalid_option', 'link mode wants both --listen HOST:PORT and --connect HOST:PORT');
    if (command.length > 0) throw new RpcTraceError('invalid_option', 'link mode (--listen/--connect) runs no program');
    link = {
      listen: parseHostPort(o.listen, '--listen'),
      connect: parseHostPort(o.connect, '--connect'),
      secretFile: typeof o.secretFile === 'string' ? o.secretFile : defaultSecretFile(),
    };
  } else if (o.secretFile !== undefined) throw new RpcTraceError('invalid_option', '--secret-file is for link mode (--listen/--connect)');
  let kernel: CliOptions['kernel'] = null;
  if (o.kernel !== undefined) {
    if (o.kernel !== 'sim' && o.kernel !== 'gnumach') throw new RpcTraceError('invalid_option', `--kernel wants sim or gnumach, got '${String(o.kernel)}'`);
    if (o.abi !== undefined && o.abi !== 'i386' && o.abi !== 'x86_64') throw new RpcTraceError('invalid_option', `--abi wants i386 or x86_64, got '${String(o.abi)}'`);
    kernel = { backend: o.kernel, abi: (o.abi as 'i386' | 'x86_64' | undefined) ?? null };
  } else if (o.abi !== undefined) throw new RpcTraceError('invalid_option', '--abi goes with --kernel');
  if (link !== null && (kernel !== null || o.followForks === true)) throw new RpcTraceError('invalid_option', 'link mode (--listen/--connect) runs no program: no --kernel, --abi or -f');
  if (link === null && o.attach === undefined && command.length === 0) throw new RpcTraceError('invalid_option', `no program to trace; usage: ${USAGE}`);
  let attach: number | null = null;
  if (o.attach !== undefined) {
    const v = String(o.attach);
    if (!/^[1-9]\d{0,9}$/.test(v)) throw new RpcTraceError('invalid_option', `-p wants a process id, got '${v}'`);
    attach = Number(v);
    if (command.length > 0) throw new RpcTraceError('invalid_option', '-p attaches to a running program: give no command');
    if (link !== null || kernel !== null || o.followForks === true) throw new RpcTraceError('invalid_option', '-p goes with neither link mode, --kernel/--abi (its kernels are open already) nor -f');
  }
  if (o.ff === true) {
    if (typeof o.output !== 'string') throw new RpcTraceError('invalid_option', '-ff writes one file per task: it needs -o FILE');
    if (o.summaryOnly === true) throw new RpcTraceError('invalid_option', '-ff writes lines per task: -c prints none');
    if (link !== null) throw new RpcTraceError('invalid_option', '-ff is for programs (tasks), not link mode');
  }
  if (o.json === true && o.summaryOnly === true) throw new RpcTraceError('invalid_option', '--json and -c do not go together');
  return {
    options: {
      filter: o.expr as string[],
      summary: o.summaryOnly === true,
      showLatency: o.syscallTimes === true,
      time,
      output: typeof o.output === 'string' ? o.output : null,
      strsize,
      json: o.json === true,
      includeDirs: o.include as string[],
      defs: o.defs as string[],
      msgids: o.rpcList as string[],
      pcap: typeof o.pcap === 'string' ? o.pcap : null,
      decorate: o.decodePorts === true,
      kernel,
      follow: o.followForks === true,
      link,
      command,
      attach,
      perTask: o.ff === true,
    },
  };
}
