/**
 * hurd-rpctrace's driver: runs the program with the preload in NODE_OPTIONS
 * and a pipe as its file descriptor 3 (with -f, a Unix socket every process
 * of the tree reports to: follow.ts), turns the events written there into
 * trace text, and exits with the program's status.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { constants, getPriority, setPriority } from 'node:os';
import { isRpcTraceError, RpcTraceError } from '../errors.js';
import type { TraceOptions } from '../session.js';
import { readSecretFile } from '../link/secret.js';
import type { traceLink as TraceLinkFn } from '../link/trace-link.js';
import type { attachCli as AttachCliFn } from '../attach/attach-cli.js';
import { framePacket } from '../pcap.js';
import { TRACE_CLOCK_ENV, TRACE_FD_ENV, TRACE_KERNEL_ENV, TRACE_SOCKET_ENV, TRACE_TOKEN_ENV } from '../wire.js';
import { TRACE_SUMMARY_ENV } from '../summary-wire.js';
import { parseArgs, type CliOptions } from './args.js';
import type * as Consume from './consume.js';
import type * as SummaryConsume from './summary-consume.js';
import { PerTaskFiles } from './per-task.js';
import { startFollowServer } from './follow.js';
import { TextBatch } from './text-batch.js';
import { startInProcess } from './front.js';
import { nodeScriptOf } from './node-script.js';
import { coarseClockFor, countsInProgram, openPcap, preloadOptions, programEnv } from './program-settings.js';

// Their home is program-settings.ts (the command's front loads it without this module); tests import them from here.
export { coarseClockFor, countsInProgram, openPcap };

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** URL of the preload module (default: preload.js next to this module, i.e. in dist). */
  preloadUrl?: string;
  /** Link mode and -p run until this aborts (default: until SIGINT or SIGTERM). */
  signal?: AbortSignal;
  /** Link mode: told the address it listens on, once it does. */
  onListening?: (address: { host: string; port: number }) => void;
  /**
   * Lower this thread's scheduling priority once the program has started
   * (the command does; tests running runCli in their own process do not).
   */
  lowerPriority?: boolean;
  /** -p: path of the agent the target loads (default: attach-agent.cjs next to this module, i.e. in dist). */
  agentPath?: string;
  /** -p: told once the target is traced. */
  onAttached?: () => void;
  /**
   * A node script may run in this process (cli/in-process.ts): the command
   * does; tests running runCli in their own process do not.
   */
  inProcess?: boolean;
}

const defaultIo: CliIo = { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s), lowerPriority: true, inProcess: true };

/**
 * HURD_RPCTRACE_NICE=N (1 to 19): the tracer lowers its niceness to N once
 * the program has started: the program (which keeps its own priority) gets
 * the CPU first and the tracer catches up whenever the program waits or is
 * done; the records meanwhile wait in the program's backlog
 * (trace-backlog.ts), so the trace is still whole (-c's table is printed
 * after every record was read). On Linux setpriority(PRIO_PROCESS, 0) sets
 * the calling thread's: the main thread, where the decoding runs. Not the
 * default (0: the priority the command was started with): on a machine
 * busy with other work a tracer at nice 19 gets almost no CPU, and the
 * program's exit, which waits for the tracer to read its backlog, with it
 * (BENCHMARKS.md, 2026-11-29 03:07-03:14 UTC: the whole run x3.9 to x14
 * of untraced, against x2.2 to x5.5 at normal priority, at load 12-16).
 */
export const TRACER_NICE = 0;
export const TRACER_NICE_ENV = 'HURD_RPCTRACE_NICE';

/** The niceness to trace at: HURD_RPCTRACE_NICE if it is one (0-19), else TRACER_NICE (0). */
export function tracerNice(env: NodeJS.ProcessEnv): number {
  const v = env[TRACER_NICE_ENV];
  return v !== undefined && /^(1?[0-9])$/.test(v.trim()) ? Number(v) : TRACER_NICE;
}

const TRACE_FD = 3;

export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let options: CliOptions;
  try {
    const parsed = parseArgs(argv);
    if ('help' in parsed) {
      io.stdout(parsed.help);
      return 0;
    }
    options = parsed.options;
  } catch (e) {
    if (isRpcTraceError(e)) {
      io.stderr(`hurd-rpctrace: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  try {
    if (options.attach !== null) {
      const { attachCli } = await loadModule<{ attachCli: typeof AttachCliFn }>('attach-cli.js', '../attach/attach-cli.js');
      return await attachCli(options, options.attach, io);
    }
    return options.link !== null ? await traceLinkCli(options, options.link, io) : await trace(options, io);
  } catch (e) {
    if (isRpcTraceError(e)) {
      io.stderr(`hurd-rpctrace: ${e.message}\n`);
      return e.code === 'spawn_failed' ? 127 : 1;
    }
    throw e;
  }
}

/**
 * The session options the command line gives (cli/consume.ts, loaded for
 * it: the user's .defs compile with mach-msg).
 */
async function sessionOptions(o: CliOptions): Promise<TraceOptions> {
  return (await loadConsume()).sessionOptions(o);
}

export function openOutput(file: string | null, io: CliIo): { write: (s: string) => void; writeBytes: (b: Uint8Array) => void; close: () => void } {
  let fd: number | null = null;
  // Batched as bytes: one write per turn of the event loop or per 64 KiB, not per line (nor per chunk of records).
  const batch = new TextBatch();
  const drain = (): void =>
    batch.drain((bytes, n) => {
      if (fd !== null) for (let at = 0; at < n; ) at += writeSync(fd, bytes, at, n - at);
    });
  if (file !== null) {
    try {
      fd = openSync(file, 'w');
    } catch (e) {
      throw new RpcTraceError('invalid_option', `cannot open ${file}: ${(e as Error).message}`);
    }
  }
  return {
    write: (s) => {
      if (s === '') return;
      if (fd === null) io.stderr(s);
      else {
        if (batch.used === 0) setImmediate(drain);
        if (batch.addText(s)) drain();
      }
    },
    // The consumer's lines as bytes (cli/consume.ts): copied here before this returns (its buffer is reused).
    writeBytes: (b) => {
      if (b.length === 0) return;
      if (fd === null) io.stderr(Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8'));
      else {
        if (batch.used === 0) setImmediate(drain);
        if (batch.addBytes(b)) drain();
      }
    },
    close: () => {
      if (fd !== null) {
        drain();
        closeSync(fd);
      }
      fd = null;
    },
  };
}

/**
 * Link mode: splice peers that connect to --listen to --connect until
 * stopped (SIGINT/SIGTERM, or io.signal). Stopping, or the tracer failing,
 * ends every link with a CLOSE saying so, as a dead peer's links end.
 */
async function traceLinkCli(o: CliOptions, link: NonNullable<CliOptions['link']>, io: CliIo): Promise<number> {
  const secret = readSecretFile(link.secretFile);
  const options = await sessionOptions(o);
  const out = openOutput(o.output, io);
  const pcap = openPcap(o.pcap);
  const traceLink = await loadTraceLink();
  let t: Awaited<ReturnType<typeof TraceLinkFn>>;
  try {
    t = await traceLink({
      ...options,
      listen: link.listen,
      connect: link.connect,
      secret,
      write: out.write,
      ...(pcap === undefined ? {} : { onFrame: (f) => pcap(framePacket(f)) }),
    });
  } catch (e) {
    // The built link module has its own copy of the error class: its errors are ours.
    if (e instanceof Error && e.name === 'RpcTraceError' && typeof (e as { code?: unknown }).code === 'string' && !isRpcTraceError(e)) {
      throw new RpcTraceError((e as RpcTraceError).code, e.message);
    }
    throw e;
  }
  io.stderr(`hurd-rpctrace: listening on ${t.address.host}:${t.address.port}, tracing links to ${link.connect.host}:${link.connect.port}\n`);
  io.onListening?.(t.address);
  const listeners: (() => void)[] = [];
  const reason = await new Promise<string>((resolve) => {
    const on = (event: 'SIGINT' | 'SIGTERM' | 'uncaughtException', why: (e?: unknown) => string): void => {
      const h = (e?: unknown): void => resolve(why(e));
      process.once(event, h);
      listeners.push(() => process.off(event, h));
    };
    on('SIGINT', () => 'hurd-rpctrace stopped (SIGINT)');
    on('SIGTERM', () => 'hurd-rpctrace stopped (SIGTERM)');
    on('uncaughtException', (e) => `hurd-rpctrace crashed: ${e instanceof Error ? e.message : String(e)}`);
    if (io.signal?.aborted === true) resolve('hurd-rpctrace stopped');
    io.signal?.addEventListener('abort', () => resolve('hurd-rpctrace stopped'), { once: true });
  });
  for (const off of listeners) off();
  await t.stop(reason);
  out.close();
  pcap?.(null);
  return reason.startsWith('hurd-rpctrace crashed') ? 1 : 0;
}

/**
 * Link mode's module, loaded only for link mode: it brings netmsg-wire (and
 * its zod and msgpackr), whose loading was most of the command's start-up
 * CPU (about 190 of 330 ms), paid before the traced program could run on a
 * shared CPU.
 */
async function loadTraceLink(): Promise<typeof TraceLinkFn> {
  return (await loadModule<{ traceLink: typeof TraceLinkFn }>('link/trace-link.js', '../link/trace-link.js')).traceLink;
}

/** The tracer side of a run (cli/consume.ts), and sessionOptions: the decoder, mach-msg. */
function loadConsume(): Promise<typeof Consume> {
  return loadModule<typeof Consume>('cli-consume.js', './consume.js');
}

/** The tracer side of -c counted in the program (cli/summary-consume.ts): no decoder, no mach-msg. */
function loadSummaryConsume(): Promise<typeof SummaryConsume> {
  return loadModule<typeof SummaryConsume>('cli-summary.js', './summary-consume.js');
}

/** A stream consumer: message records (consume.ts) or snapshots (summary-consume.ts). */
interface StreamConsumer {
  feed(id: number, pid: number | null, chunk: Uint8Array): void;
  finish(): string[];
}

/**
 * A module the command loads only when it needs it (link mode, -p, the
 * tracer side once the program runs): the built command from its own file
 * next to dist/cli.js (`built`: a specifier the bundler leaves alone, so
 * that the bundle does not import its dependencies at its top); the
 * sources, their module (`source`, from this directory).
 */
async function loadModule<T>(built: string, source: string): Promise<T> {
  const spec = import.meta.url.endsWith('.ts') ? source : `./${built}`;
  return (await import(/* @vite-ignore */ spec)) as T;
}

/**
 * Whether the program runs in this process (cli/in-process.ts): a node
 * script of this Node, unless --separate-process. With -f its children
 * report to a socket this process serves (cli/in-process-follow.ts).
 */
export function runsInProcess(o: CliOptions, io: CliIo): ReturnType<typeof nodeScriptOf> {
  if (io.inProcess !== true || o.separateProcess) return null;
  return nodeScriptOf(o.command, process.execPath, process.env.PATH, process.cwd());
}

async function trace(o: CliOptions, io: CliIo): Promise<number> {
  const here = runsInProcess(o, io);
  if (here !== null) return startInProcess(o, here, io.preloadUrl);
  // The tracer side loads while the program starts (a second CPU runs both);
  // with the user's .defs, these are compiled first: an error in them is a
  // usage error, before the program runs.
  const inProgram = countsInProgram(o, process.env);
  const userDefs = o.defs.length + o.includeDirs.length + o.msgids.length > 0;
  // -c counted in the program: the decoder is loaded here only to check the user's .defs.
  const consumeModule = inProgram && !userDefs ? null : loadConsume();
  consumeModule?.catch(() => undefined);
  const base = userDefs ? (await (consumeModule as Promise<typeof Consume>)).sessionOptions(o) : null;

  // -ff: lines go to a file per task, none to -o's FILE itself.
  const out = openOutput(o.perTask ? null : o.output, io);
  const perTask = o.perTask && o.output !== null ? new PerTaskFiles(o.output) : null;
  const pcap = openPcap(o.pcap);
  const makeConsumer: Promise<() => StreamConsumer> = inProgram
    ? loadSummaryConsume().then((m) => () => new m.SummaryConsumer(out.write))
    : (consumeModule as Promise<typeof Consume>).then((m) => () => new m.TraceConsumer(base ?? m.sessionOptions(o), o.summary, { write: out.write, writeBytes: out.writeBytes, perTask, pcap }));
  makeConsumer.catch(() => undefined);

  const nodeOptions = preloadOptions(io.preloadUrl);
  const [cmd, ...args] = o.command as [string, ...string[]];
  // Records that come before the tracer side has loaded wait here, in order.
  let consumer: StreamConsumer | null = null;
  const early: [number, number | null, Uint8Array][] = [];
  // Set if the tracer side failed to load: records are dropped from then on.
  let failed = false;
  const feed = (id: number, pid: number | null, chunk: Uint8Array): void => {
    if (failed) return;
    if (consumer === null) early.push([id, pid, chunk]);
    else consumer.feed(id, pid, chunk);
  };

  // -f: every process reports on its own stream of a Unix socket.
  let followEnded: () => void = () => undefined;
  const followDone = new Promise<void>((resolve) => (followEnded = resolve));
  const follow = o.follow
    ? await startFollowServer({
        data: (id, pid, bytes) => feed(id, pid, bytes),
        refused: (why) => io.stderr(`hurd-rpctrace: -f: refused a connection: ${why}\n`),
        ended: () => followEnded(),
      })
    : null;
  // Only this run's settings: a tracer run under another (-f) must not report to the outer one.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [TRACE_FD_ENV, TRACE_KERNEL_ENV, TRACE_SOCKET_ENV, TRACE_TOKEN_ENV, TRACE_SUMMARY_ENV, TRACE_CLOCK_ENV]) delete env[k];

  return new Promise<number>((resolvePromise, reject) => {
    let child;
    try {
      child = spawn(cmd, args, {
        stdio: follow === null ? ['inherit', 'inherit', 'inherit', 'pipe'] : 'inherit',
        env: { ...env, NODE_OPTIONS: nodeOptions, ...programEnv(o, inProgram), ...(follow === null ? { [TRACE_FD_ENV]: String(TRACE_FD) } : follow.env) },
      });
    } catch (e) {
      follow?.stop();
      reject(new RpcTraceError('spawn_failed', `cannot run '${cmd}': ${(e as Error).message}`));
      return;
    }
    if (io.lowerPriority === true) {
      try {
        const nice = tracerNice(process.env);
        if (nice > getPriority()) setPriority(nice);
      } catch {
        // Not allowed here: trace at the priority we have.
      }
    }
    const pipe = follow === null ? (child.stdio[TRACE_FD] as import('node:stream').Readable | null | undefined) : null;
    pipe?.on('data', (chunk: Buffer) => feed(0, null, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    let spawnError: Error | null = null;
    child.on('error', (e) => {
      spawnError = e;
    });
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let ended = pipe === null || pipe === undefined;
    let followed = follow === null;
    const done = (): void => {
      if (exited === null || !ended || !followed || consumer === null || failed) return;
      const bad = consumer.finish();
      out.close();
      perTask?.close();
      pcap?.(null);
      if (spawnError !== null) {
        reject(new RpcTraceError('spawn_failed', `cannot run '${cmd}': ${spawnError.message}`));
        return;
      }
      for (const line of bad) io.stderr(`hurd-rpctrace: ${line}\n`);
      const { code, signal } = exited;
      if (signal !== null) {
        io.stderr(`hurd-rpctrace: '${cmd}' killed by ${signal}\n`);
        resolvePromise(128 + signalNumber(signal));
      } else resolvePromise(code ?? 1);
    };
    // No tracer side: stop reading, so that the program's next write fails
    // and it runs on untraced (as when the command dies), and say why.
    const fail = (e: unknown): void => {
      failed = true;
      early.length = 0;
      pipe?.destroy();
      follow?.stop();
      reject(e);
    };
    makeConsumer.then(
      (make) => {
        try {
          consumer = make();
          for (const [id, pid, chunk] of early) consumer.feed(id, pid, chunk);
          early.length = 0;
        } catch (e) {
          fail(e);
          return;
        }
        done();
      },
      fail,
    );
    pipe?.on('end', () => {
      ended = true;
      done();
    });
    pipe?.on('error', () => {
      ended = true;
      done();
    });
    void followDone.then(() => {
      followed = true;
      done();
    });
    child.on('close', (code, signal) => {
      exited = { code, signal };
      ended = true;
      // Processes still running keep their streams; no new ones are taken.
      follow?.stop();
      done();
    });
  });
}

function signalNumber(s: NodeJS.Signals): number {
  return constants.signals[s] ?? 0;
}
