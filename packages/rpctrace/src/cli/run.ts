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
import { TraceSession, type TraceOptions } from '../session.js';
import { readSecretFile } from '../link/secret.js';
import type { traceLink as TraceLinkFn } from '../link/trace-link.js';
import { framePacket, messagePacket, pcapngStart } from '../pcap.js';
import { loadUserDefs } from '../user-defs.js';
import { TRACE_FD_ENV, TRACE_KERNEL_ENV, TRACE_SOCKET_ENV, TRACE_TOKEN_ENV, WireEventReader } from '../wire.js';
import { attachCli } from '../attach/attach-cli.js';
import { parseArgs, type CliOptions } from './args.js';
import { PerTaskFiles } from './per-task.js';
import { startFollowServer } from './follow.js';

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
}

const defaultIo: CliIo = { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s), lowerPriority: true };

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
    if (options.attach !== null) return await attachCli(options, options.attach, io);
    return options.link !== null ? await traceLinkCli(options, options.link, io) : await trace(options, io);
  } catch (e) {
    if (isRpcTraceError(e)) {
      io.stderr(`hurd-rpctrace: ${e.message}\n`);
      return e.code === 'spawn_failed' ? 127 : 1;
    }
    throw e;
  }
}

/** The session options the command line gives. */
export function sessionOptions(o: CliOptions): TraceOptions {
  const user = o.defs.length + o.includeDirs.length + o.msgids.length > 0 ? loadUserDefs({ defs: o.defs, includeDirs: o.includeDirs, msgids: o.msgids }) : undefined;
  return {
    filter: o.filter,
    time: o.time,
    showLatency: o.showLatency,
    strsize: o.strsize,
    json: o.json,
    summary: o.summary,
    decorate: o.decorate,
    ...(user === undefined ? {} : { interfaces: user.interfaces, ...(user.catalog === undefined ? {} : { catalog: user.catalog }) }),
  };
}

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

export function openOutput(file: string | null, io: CliIo): { write: (s: string) => void; close: () => void } {
  let fd: number | null = null;
  let pending = '';
  const drain = (): void => {
    if (fd !== null && pending !== '') writeSync(fd, pending);
    pending = '';
  };
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
        // Batched: one write per turn of the event loop or per 64 KiB, not per line.
        if (pending === '') setImmediate(drain);
        pending += s;
        if (pending.length >= 64 * 1024) drain();
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
  const options = sessionOptions(o);
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
 * shared CPU. The built command loads it from its own file next to
 * dist/cli.js (a specifier the bundler leaves alone, so that the bundle
 * does not import netmsg-wire at its top); the sources, their module.
 */
async function loadTraceLink(): Promise<typeof TraceLinkFn> {
  const built = !import.meta.url.endsWith('.ts');
  const spec = built ? './link/trace-link.js' : '../link/trace-link.js';
  const m = (await import(/* @vite-ignore */ spec)) as { traceLink: typeof TraceLinkFn };
  return m.traceLink;
}

/** One stream of records: the pipe of the program (stream 0 without -f), or a process's socket stream with -f. */
interface Stream {
  reader: WireEventReader;
  /** `[pid N] ` with -f, else ''. */
  prefix: string;
  /** The process's pid with -f (for -ff's file names), else null. */
  pid: number | null;
  /** Why this stream stopped being read (a bad record): the others go on. */
  bad: string | null;
  /** The session of the kernel of this stream that spoke last (a storm is one kernel's). */
  last: TraceSession | null;
  lastKernel: number;
}

async function trace(o: CliOptions, io: CliIo): Promise<number> {
  const base = sessionOptions(o);
  const makeSession = (): TraceSession => new TraceSession(base);
  makeSession(); // checks the options (-e, -s) before the program starts

  // -ff: lines go to a file per task, none to -o's FILE itself.
  const out = openOutput(o.perTask ? null : o.output, io);
  const perTask = o.perTask && o.output !== null ? new PerTaskFiles(o.output) : null;
  const write = out.write;
  const pcap = openPcap(o.pcap);

  const preload = io.preloadUrl ?? new URL('./preload.js', import.meta.url).href;
  // A file URL has no blanks (they are %20), so NODE_OPTIONS needs no quoting.
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${preload}`].filter((x) => x !== undefined && x !== '').join(' ');
  const [cmd, ...args] = o.command as [string, ...string[]];
  // Sessions per (stream, kernel), in the order they first spoke.
  const sessions = new Map<string, { stream: Stream; kernel: number; session: TraceSession }>();
  const sessionOf = (st: Stream, id: number, k: number): TraceSession => {
    const key = `${id}:${k}`;
    let s = sessions.get(key);
    if (s === undefined) sessions.set(key, (s = { stream: st, kernel: k, session: makeSession() }));
    return s.session;
  };
  // Lines of a second, third... kernel of a process say which kernel they are from; with -f, which process.
  const tag = (st: Stream, k: number, text: string): string => {
    const p = st.prefix + (k === 1 ? '' : `k${k} `);
    return p === '' || text === '' ? text : text.replace(/^(?=.)/gm, p);
  };
  const streams = new Map<number, Stream>();
  const feed = (id: number, st: Stream, chunk: Uint8Array): void => {
    if (st.bad !== null) return;
    // A chunk's text is gathered and written once (in order, whichever kernel it is from).
    let text = '';
    try {
      st.reader.each(chunk, (kernel, event) => {
        pcap?.(messagePacket(event));
        let session = st.last;
        if (session === null || st.lastKernel !== kernel) {
          session = st.last = sessionOf(st, id, kernel);
          st.lastKernel = kernel;
        }
        if (perTask !== null) {
          perTask.write(st.pid, kernel, session.feedByTask(event));
          return;
        }
        const t = session.feed(event);
        if (t !== '') text += kernel === 1 && st.prefix === '' ? t : tag(st, kernel, t);
      });
    } catch (e) {
      if (!isRpcTraceError(e)) throw e;
      st.bad = e.message;
    } finally {
      write(text);
    }
  };

  // -f: every process reports on its own stream of a Unix socket.
  let followEnded: () => void = () => undefined;
  const followDone = new Promise<void>((resolve) => (followEnded = resolve));
  const follow = o.follow
    ? await startFollowServer({
        data: (id, pid, bytes) => {
          let st = streams.get(id);
          if (st === undefined) streams.set(id, (st = { reader: new WireEventReader(), prefix: `[pid ${pid}] `, pid, bad: null, last: null, lastKernel: 0 }));
          feed(id, st, bytes);
        },
        refused: (why) => io.stderr(`hurd-rpctrace: -f: refused a connection: ${why}\n`),
        ended: () => followEnded(),
      })
    : null;
  const kernelEnv = o.kernel === null ? {} : { [TRACE_KERNEL_ENV]: o.kernel.abi === null ? o.kernel.backend : `${o.kernel.backend}:${o.kernel.abi}` };
  // Only this run's settings: a tracer run under another (-f) must not report to the outer one.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [TRACE_FD_ENV, TRACE_KERNEL_ENV, TRACE_SOCKET_ENV, TRACE_TOKEN_ENV]) delete env[k];

  return new Promise<number>((resolvePromise, reject) => {
    let child;
    try {
      child = spawn(cmd, args, {
        stdio: follow === null ? ['inherit', 'inherit', 'inherit', 'pipe'] : 'inherit',
        env: { ...env, NODE_OPTIONS: nodeOptions, ...kernelEnv, ...(follow === null ? { [TRACE_FD_ENV]: String(TRACE_FD) } : follow.env) },
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
    const top: Stream = { reader: new WireEventReader(), prefix: '', pid: null, bad: null, last: null, lastKernel: 0 };
    if (pipe !== null && pipe !== undefined) streams.set(0, top);
    pipe?.on('data', (chunk: Buffer) => feed(0, top, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    let spawnError: Error | null = null;
    child.on('error', (e) => {
      spawnError = e;
    });
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let ended = pipe === null || pipe === undefined;
    let followed = follow === null;
    const done = (): void => {
      if (exited === null || !ended || !followed) return;
      for (const st of streams.values()) {
        if (st.bad === null && st.reader.pending > 0) st.bad = `bad trace record from the traced program: ${st.reader.pending} bytes of a record cut short`;
      }
      const several = sessions.size > 1;
      for (const { stream, kernel, session } of sessions.values()) {
        if (perTask !== null) {
          perTask.write(stream.pid, kernel, session.finishByTask());
          continue;
        }
        const rest = session.finish();
        write(o.summary && several ? `${stream.prefix === '' ? '' : `${stream.prefix.slice(1, -2)} `}kernel ${kernel}:\n${rest}` : tag(stream, kernel, rest));
      }
      out.close();
      perTask?.close();
      pcap?.(null);
      if (spawnError !== null) {
        reject(new RpcTraceError('spawn_failed', `cannot run '${cmd}': ${spawnError.message}`));
        return;
      }
      for (const st of streams.values()) if (st.bad !== null) io.stderr(`hurd-rpctrace: ${st.prefix}${st.bad}\n`);
      const { code, signal } = exited;
      if (signal !== null) {
        io.stderr(`hurd-rpctrace: '${cmd}' killed by ${signal}\n`);
        resolvePromise(128 + signalNumber(signal));
      } else resolvePromise(code ?? 1);
    };
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
