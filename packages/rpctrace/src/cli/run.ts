/**
 * hurd-rpctrace's driver: runs the program with the preload in NODE_OPTIONS
 * and a pipe as its file descriptor 3, turns the events it writes there into
 * trace text, and exits with the program's status.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { isRpcTraceError, RpcTraceError } from '../errors.js';
import { TraceSession, type TraceOptions } from '../session.js';
import { readSecretFile } from '../link/secret.js';
import { traceLink } from '../link/trace-link.js';
import { framePacket, messagePacket, pcapngStart } from '../pcap.js';
import { loadUserDefs } from '../user-defs.js';
import { TRACE_FD_ENV, WireEventReader, decodeWireEvent } from '../wire.js';
import { parseArgs, type CliOptions } from './args.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** URL of the preload module (default: preload.js next to this module, i.e. in dist). */
  preloadUrl?: string;
  /** Link mode runs until this aborts (default: until SIGINT or SIGTERM). */
  signal?: AbortSignal;
  /** Link mode: told the address it listens on, once it does. */
  onListening?: (address: { host: string; port: number }) => void;
}

const defaultIo: CliIo = { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s) };

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
function sessionOptions(o: CliOptions): TraceOptions {
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
function openPcap(file: string | null): ((packet: Uint8Array | null) => void) | undefined {
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

function openOutput(file: string | null, io: CliIo): { write: (s: string) => void; close: () => void } {
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
  const t = await traceLink({
    ...options,
    listen: link.listen,
    connect: link.connect,
    secret,
    write: out.write,
    ...(pcap === undefined ? {} : { onFrame: (f) => pcap(framePacket(f)) }),
  });
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

function trace(o: CliOptions, io: CliIo): Promise<number> {
  const base = sessionOptions(o);
  const makeSession = (): TraceSession => new TraceSession(base);
  makeSession(); // checks the options (-e, -s) before the program starts

  const out = openOutput(o.output, io);
  const write = out.write;
  const pcap = openPcap(o.pcap);

  const preload = io.preloadUrl ?? new URL('./preload.js', import.meta.url).href;
  // A file URL has no blanks (they are %20), so NODE_OPTIONS needs no quoting.
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${preload}`].filter((x) => x !== undefined && x !== '').join(' ');
  const [cmd, ...args] = o.command as [string, ...string[]];
  const sessions = new Map<number, TraceSession>();
  const sessionOf = (k: number): TraceSession => {
    let s = sessions.get(k);
    if (s === undefined) sessions.set(k, (s = makeSession()));
    return s;
  };
  // Lines of a second, third... kernel of the program say which kernel they are from.
  const tag = (k: number, text: string): string => (k === 1 || text === '' ? text : text.replace(/^(?=.)/gm, `k${k} `));

  return new Promise<number>((resolvePromise, reject) => {
    let child;
    try {
      child = spawn(cmd, args, {
        stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: nodeOptions, [TRACE_FD_ENV]: String(TRACE_FD) },
      });
    } catch (e) {
      reject(new RpcTraceError('spawn_failed', `cannot run '${cmd}': ${(e as Error).message}`));
      return;
    }
    const pipe = child.stdio[TRACE_FD] as import('node:stream').Readable | null | undefined;
    const reader = new WireEventReader();
    let badLine: string | null = null;
    const onChunk = (chunk: Uint8Array): void => {
      if (badLine !== null) return;
      try {
        for (const rec of reader.push(chunk)) {
          const { kernel, event } = decodeWireEvent(rec);
          pcap?.(messagePacket(event));
          write(tag(kernel, sessionOf(kernel).feed(event)));
        }
      } catch (e) {
        if (!isRpcTraceError(e)) throw e;
        badLine = e.message;
      }
    };
    pipe?.on('data', (chunk: Buffer) => onChunk(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    let spawnError: Error | null = null;
    child.on('error', (e) => {
      spawnError = e;
    });
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let ended = pipe === null || pipe === undefined;
    const done = (): void => {
      if (exited === null || !ended) return;
      if (badLine === null && reader.pending > 0) badLine = `bad trace record from the traced program: ${reader.pending} bytes of a record cut short`;
      for (const [k, s] of [...sessions].sort((a, b) => a[0] - b[0])) {
        const rest = s.finish();
        write(o.summary && sessions.size > 1 ? `kernel ${k}:\n${rest}` : tag(k, rest));
      }
      out.close();
      pcap?.(null);
      if (spawnError !== null) {
        reject(new RpcTraceError('spawn_failed', `cannot run '${cmd}': ${spawnError.message}`));
        return;
      }
      if (badLine !== null) io.stderr(`hurd-rpctrace: ${badLine}\n`);
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
    child.on('close', (code, signal) => {
      exited = { code, signal };
      ended = true;
      done();
    });
  });
}

function signalNumber(s: NodeJS.Signals): number {
  return constants.signals[s] ?? 0;
}
