/**
 * Command-line parsing for hurd-rpctrace, into plain options: the usual
 * command lines by a small scanner of their own (fastOpts), every other one
 * (help, errors, --long=value, bundled flags...) by commander, loaded only
 * then: commander's loading was about a fifth of the command's own start-up
 * (BENCHMARKS.md, 2026-11-29 14:00 section), paid before the traced program
 * could start. Both give the same raw options; the checks after are shared.
 */
import { createRequire } from 'node:module';
import type { Command as CommandT, CommanderError as CommanderErrorT, Option as OptionT } from 'commander';
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
  /**
   * --separate-process: run a node script in a process of its own, as any
   * other program, rather than in the command's own process (cli/in-process.ts).
   */
  separateProcess: boolean;
}

export const USAGE = 'hurd-rpctrace [options] -- node app.js [args...]  |  hurd-rpctrace [options] -p PID  |  hurd-rpctrace [options] --listen HOST:PORT --connect HOST:PORT';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/**
 * strace spells its time styles -t, -tt, -ttt; commander would read -tt as
 * two -t flags, so they are renamed before parsing (only before the `--`).
 */
export function normalize(argv: readonly string[]): string[] {
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

/** The raw options as commander's opts() gives them (keys: the options' attribute names), and the operands. */
interface RawArgs {
  o: Record<string, unknown>;
  args: string[];
}

/** What the scanner knows: the flags (attribute set to true) and the options taking one value. */
const FAST_FLAGS: { readonly [arg: string]: string } = {
  '-c': 'summaryOnly',
  '--summary-only': 'summaryOnly',
  '-T': 'syscallTimes',
  '--syscall-times': 'syscallTimes',
  '-t': 't',
  '--tt': 'tt',
  '--ttt': 'ttt',
  '-r': 'relativeTimestamps',
  '--relative-timestamps': 'relativeTimestamps',
  '--ff': 'ff',
  '--json': 'json',
  '-y': 'decodePorts',
  '--decode-ports': 'decodePorts',
  '-f': 'followForks',
  '--follow-forks': 'followForks',
  '--separate-process': 'separateProcess',
};
/** Options taking a value; `true`: repeatable (collected into a list, as commander's `collect`). */
const FAST_VALUES: { readonly [arg: string]: readonly [string, boolean] } = {
  '-e': ['expr', true],
  '--expr': ['expr', true],
  '-o': ['output', false],
  '--output': ['output', false],
  '-s': ['stringLimit', false],
  '--string-limit': ['stringLimit', false],
  '-I': ['include', true],
  '--include': ['include', true],
  '--defs': ['defs', true],
  '-i': ['rpcList', true],
  '--rpc-list': ['rpcList', true],
  '--pcap': ['pcap', false],
  '--kernel': ['kernel', false],
  '--abi': ['abi', false],
};

/**
 * commander's result for the command lines it would read plainly, or null
 * for anything else (commander then reads it). Taken: the flags and options
 * above, each value its own next argument not starting with '-', a single
 * option given at most once; then either `--` and the command, or the
 * command's first word and operands none of which starts with '-' (commander
 * would read such a one as ours). Everything else (help, an unknown or
 * bundled option, `--x=v`, a repeated single option, a value that looks
 * like an option, -p, link mode) is commander's, errors and all.
 */
export function fastOpts(argv: readonly string[]): RawArgs | null {
  const o: Record<string, unknown> = { expr: [], stringLimit: '80', include: [], defs: [], rpcList: [] };
  const seen = new Set<string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (a.length === 0 || a.charCodeAt(0) !== 45 /* - */) break;
    const flag = FAST_FLAGS[a];
    if (flag !== undefined) {
      o[flag] = true;
      continue;
    }
    const opt = FAST_VALUES[a];
    if (opt === undefined) return null;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('-')) return null;
    const [key, many] = opt;
    if (many) (o[key] as string[]).push(v);
    else {
      if (seen.has(key)) return null;
      seen.add(key);
      o[key] = v;
    }
    i++;
  }
  const args = argv.slice(i);
  // Without `--`, commander reads options among the operands too.
  if (i === 0 || argv[i - 1] !== '--') for (const a of args) if (a.startsWith('-')) return null;
  return { o, args };
}

/** commander, loaded the first time a command line needs it (synchronously: commander is CommonJS). */
let commander: { Command: typeof CommandT; CommanderError: typeof CommanderErrorT; Option: typeof OptionT } | null = null;
function loadCommander(): NonNullable<typeof commander> {
  return (commander ??= createRequire(import.meta.url)('commander') as NonNullable<typeof commander>);
}

/** Parses argv (without node and the script); throws RpcTraceError('invalid_option') or returns help text. */
export function parseArgs(argv: readonly string[]): { options: CliOptions } | { help: string } {
  const normal = normalize(argv);
  const raw = fastOpts(normal);
  if (raw !== null) return { options: checkOptions(raw) };
  const parsed = commanderOpts(normal);
  return 'help' in parsed ? parsed : { options: checkOptions(parsed) };
}

/** argv (normalized) read by commander: its raw options, or the help text. */
export function commanderOpts(normal: readonly string[]): RawArgs | { help: string } {
  const { Command, CommanderError, Option } = loadCommander();
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
    .option('--separate-process', 'run a node script in a process of its own (default: in this one, no second Node start-up)')
    .option('--kernel <backend>', "the traced program's kernels run on BACKEND: sim, or gnumach (the real GNU Mach under QEMU)")
    .option('--abi <abi>', 'with --kernel: the ABI of those kernels, i386 or x86_64 (default: what the program asks, else x86_64)')
    .option('--listen <host:port>', 'link mode: accept netmsg-wire peers here...')
    .option('--connect <host:port>', '...and splice each to this node, tracing what crosses')
    .option('--secret-file <file>', "link mode: the links' shared secret (default: netmsg-server's secret file)")
    .argument('[command...]', 'the program to run');
  try {
    program.parse(normal, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return { help: program.helpInformation() };
      throw new RpcTraceError('invalid_option', e.message.replace(/^error: /, ''));
    }
    throw e;
  }
  return { o: program.opts<Record<string, unknown>>(), args: program.args };
}

/** The checks every command line goes through, on its raw options (fastOpts' or commander's). */
function checkOptions({ o, args }: RawArgs): CliOptions {
  const strsize = Number(o.stringLimit);
  if (!Number.isInteger(strsize) || strsize < 0) throw new RpcTraceError('invalid_option', `-s wants a non-negative integer, got '${String(o.stringLimit)}'`);
  const time: TimeStyle = o.ttt === true ? 'ttt' : o.tt === true ? 'tt' : o.t === true ? 't' : o.relativeTimestamps === true ? 'r' : 'none';
  parseFilter(o.expr as string[]); // checked now: a bad -e is a usage error
  const command = args;
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
    separateProcess: o.separateProcess === true,
  };
}
