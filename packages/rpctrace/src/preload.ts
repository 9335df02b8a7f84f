/**
 * What `node --import` loads in the traced program (hurd-rpctrace puts it in
 * NODE_OPTIONS): finds where to report (the trace pipe's descriptor, or with
 * -f the tracer's Unix socket), and leaves the tap's hook where hurd-ffi's
 * openKernel finds it (tap.ts). No module loader hook (module.register): in
 * Node 20 that starts a loader thread and sends every later import of the
 * program through it, about 100 ms of CPU before the program's first line.
 *
 * Without -f the pipe's descriptor and the forced kernel are taken out of
 * the environment at once, so that the program's own children (which inherit
 * NODE_OPTIONS but not the pipe) never write to whatever their fd 3 is and
 * open the kernels they ask for. With -f the socket and token stay in the
 * environment: every node process of the tree connects (before its own
 * code runs: this module's top-level await) and reports on its own stream.
 */
import { writeSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { KERNEL_OPEN_HOOK, tapHook } from './tap.js';
import {
  FOLLOW_OK,
  TRACE_FD_ENV,
  TRACE_FD_GLOBAL,
  TRACE_CLOCK_ENV,
  TRACE_KERNEL_ENV,
  TRACE_SOCKET_ENV,
  TRACE_SOCKET_GLOBAL,
  TRACE_TOKEN_ENV,
  followHello,
  parseClockEnv,
  parseKernelEnv,
} from './wire.js';
import { TRACE_SUMMARY_ENV, encodeSnapshot, parseSummaryConfig } from './summary-wire.js';

const globals = globalThis as Record<symbol, unknown>;
const env = process.env;
const socketPath = env[TRACE_SOCKET_ENV];
const token = env[TRACE_TOKEN_ENV];
const fd = env[TRACE_FD_ENV];
delete env[TRACE_FD_ENV];
const forced = parseKernelEnv(env[TRACE_KERNEL_ENV]);
// The trace shows no time: the tap reads the clock once per many messages (backlog-observer.ts).
const coarseClock = parseClockEnv(env[TRACE_CLOCK_ENV]);
// -c counted here (summary-tap.ts) instead of a record per message.
const summary = parseSummaryConfig(env[TRACE_SUMMARY_ENV]);

/** Keeps the reporting socket alive (and its descriptor open) for the life of the process. */
const SOCKET_GLOBAL = TRACE_SOCKET_GLOBAL;

/**
 * Connects to the tracer's socket and says who we are; resolves to the
 * socket's descriptor once the tracer accepted (the tap writes it
 * synchronously, as it writes the pipe, so nothing is lost at exit), or to
 * undefined if the tracer is gone or refused: the program then runs untraced.
 */
function reportTo(path: string, secret: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s: Socket = connect(path);
    let got = '';
    const give = (v: number | undefined): void => {
      clearTimeout(timer);
      resolve(v);
    };
    // A tracer that never answers must not hold the program up for good.
    const timer = setTimeout(() => {
      s.destroy();
      give(undefined);
    }, 10_000);
    s.on('error', () => give(undefined));
    s.once('close', () => give(undefined));
    s.once('connect', () => s.write(followHello(secret, process.pid)));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.length < FOLLOW_OK.length) return;
      s.removeAllListeners('data');
      s.removeAllListeners('close');
      if (got !== FOLLOW_OK) {
        s.destroy();
        give(undefined);
        return;
      }
      // From here on the tap writes the descriptor itself: no reading, no stream writes.
      s.pause();
      s.unref();
      globals[SOCKET_GLOBAL] = s;
      const handleFd = (s as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
      give(typeof handleFd === 'number' && handleFd >= 0 ? handleFd : undefined);
    });
  });
}

/**
 * Makes the trace pipe non-blocking (libuv does, when a socket is opened on
 * a descriptor), so that the tap's writes never wait on a full pipe: the
 * backlog keeps what the pipe does not take (trace-backlog.ts). The socket
 * object is kept for the life of the process and never reads (readable:
 * false, half-open: an end of reading must not close the descriptor, which
 * the program could then reuse for a file of its own); unref'd, it keeps no
 * program alive. A descriptor that is no socket stays as it is (blocking).
 */
function nonBlocking(n: number): number | undefined {
  if (!Number.isInteger(n) || n < 0) return undefined;
  try {
    const s = new Socket({ fd: n, readable: false, writable: true, allowHalfOpen: true });
    s.on('error', () => undefined);
    s.unref();
    globals[SOCKET_GLOBAL] = s;
  } catch {
    // Not a socket (a file, a closed descriptor): the tap's writes block, as they always could.
  }
  return n;
}

if (socketPath !== undefined && token !== undefined) {
  globals[TRACE_FD_GLOBAL] = await reportTo(socketPath, token);
} else {
  delete env[TRACE_KERNEL_ENV];
  delete env[TRACE_SUMMARY_ENV];
  delete env[TRACE_CLOCK_ENV];
  globals[TRACE_FD_GLOBAL] = fd === undefined ? undefined : nonBlocking(Number(fd));
}

const traceFd = globals[TRACE_FD_GLOBAL];
const target = typeof traceFd === 'number' ? { fd: traceFd, socket: globals[SOCKET_GLOBAL] } : null;
if (summary !== null && target !== null) {
  // The tracer and its decoder (mach-msg) load only in -c mode, from a module of their own (dist/summary-tap.js).
  try {
    const { summaryHook } = (await import(/* @vite-ignore */ summaryTapUrl())) as typeof import('./summary-tap.js');
    globals[KERNEL_OPEN_HOOK] = summaryHook(target, forced, summary);
  } catch (e) {
    // The program runs untraced; the tracer is told why (its one snapshot, with no table).
    try {
      writeSync(target.fd, encodeSnapshot({ kernels: [], bad: `cannot count in the traced program: ${e instanceof Error ? e.message : String(e)}` }));
    } catch {
      // The tracer is gone.
    }
    globals[KERNEL_OPEN_HOOK] = tapHook(null, forced);
  }
} else globals[KERNEL_OPEN_HOOK] = tapHook(target, forced, coarseClock);

/** The built summary tap next to the built preload; the source module beside this one. */
function summaryTapUrl(): string {
  return new URL(import.meta.url.endsWith('.ts') ? './summary-tap.ts' : './summary-tap.js', import.meta.url).href;
}
