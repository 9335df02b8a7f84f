/**
 * What `hurd-rpctrace -p PID` loads into the running program, through the
 * inspector (Runtime.evaluate: `require(<dist/attach-agent.cjs>)`; CommonJS,
 * because code the inspector evaluates has no dynamic import in Node 20).
 *
 * attach() finds the program's kernels in hurd-ffi's live-kernel registry
 * (a global: evaluated code sees no module scope), connects to the tracer's
 * Unix socket with the run's token (the -f hello: wire.ts), and puts on
 * every kernel, and on every kernel opened later, an observer writing the
 * same records as the preload's tap (tap.ts) through the same backlog
 * (trace-backlog.ts). It detaches (observers removed, the rest of the
 * backlog written) when the tracer ends its side of the socket, and stops
 * (observers removed) if the socket fails; the program runs on untouched.
 */
import * as inspector from 'node:inspector';
import { connect, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import type { LiveKernelRegistry, MachKernel } from 'hurd-ffi';
import { backlogLimit, backlogObserver } from '../backlog-observer.js';
import { TraceBacklog } from '../trace-backlog.js';
import { FOLLOW_OK, followHello } from '../wire.js';

/** hurd-ffi's registry key (live-kernels.ts): Symbol.for makes it the same symbol here. */
const LIVE_KERNELS = Symbol.for('hurd-ffi.live-kernels');
/** Set while a tracer is attached: a second -p is refused. */
const ATTACHED = Symbol.for('hurd-rpctrace.attached');

/**
 * What the tracer may write on the socket after its OK, one line each:
 * close the inspector (sent once the tracer's WebSocket is gone: Node 20's
 * inspector.close() while a session is still connected can crash the
 * process, so the agent never closes it earlier, and never on a timer).
 */
export const CLOSE_INSPECTOR = 'CLOSE-INSPECTOR';

export type AttachResult = { ok: true; kernels: number } | { ok: false; code: 'no_kernel' | 'attach_failed'; message: string };

export interface AttachOptions {
  /** The tracer's Unix socket and the token it expects in the hello. */
  socket: string;
  token: string;
}

const globals = globalThis as Record<symbol, unknown>;

/** Called by the tracer through Runtime.evaluate; resolves once tracing (or why not). */
export async function attach(o: AttachOptions): Promise<AttachResult> {
  const registry = globals[LIVE_KERNELS] as LiveKernelRegistry | undefined;
  // Connected first in every case: the socket is also how the tracer says when to close the inspector.
  const s = await hello(o);
  if (typeof s === 'string') return { ok: false, code: 'attach_failed', message: s };
  listen(s.socket);
  const refuse = (code: 'no_kernel' | 'attach_failed', message: string): AttachResult => {
    // Nothing to trace: the socket stays only for the inspector's close, then the tracer hangs up.
    s.socket.on('end', () => s.socket.end());
    s.socket.unref();
    return { ok: false, code, message };
  };
  if (registry === undefined || typeof registry.kernels !== 'function' || typeof registry.onOpen !== 'function') {
    return refuse('no_kernel', 'it has no hurd-ffi kernel registry: it does not use hurd-ffi (or a hurd-ffi without live-kernels.ts)');
  }
  if (registry.version !== 1) return refuse('no_kernel', `its hurd-ffi kernel registry is version ${String(registry.version)}, not 1`);
  if (globals[ATTACHED] === true) return refuse('attach_failed', 'another hurd-rpctrace -p is attached to it');
  globals[ATTACHED] = true;
  return { ok: true, kernels: trace(registry, s.socket, s.fd) };
}

/** Reads the tracer's command lines (CLOSE_INSPECTOR). */
function listen(socket: Socket): void {
  let got = '';
  socket.on('data', (d: Buffer) => {
    got += d.toString('latin1');
    if (got.length > 4096) got = got.slice(-64);
    for (let nl = got.indexOf('\n'); nl >= 0; nl = got.indexOf('\n')) {
      const line = got.slice(0, nl);
      got = got.slice(nl + 1);
      if (line === CLOSE_INSPECTOR) {
        try {
          inspector.close();
        } catch {
          // Already closed.
        }
      }
    }
  });
}

function hello(o: AttachOptions): Promise<{ socket: Socket; fd: number } | string> {
  return new Promise((resolve) => {
    const s = connect(o.socket);
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve('the tracer did not answer its hello');
    }, 10_000);
    const give = (v: { socket: Socket; fd: number } | string): void => {
      clearTimeout(timer);
      resolve(v);
    };
    s.on('error', (e) => give(`cannot reach the tracer's socket: ${e.message}`));
    s.once('close', () => give('the tracer closed its socket'));
    s.once('connect', () => s.write(followHello(o.token, process.pid)));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.length < FOLLOW_OK.length) return;
      s.removeAllListeners('data');
      s.removeAllListeners('close');
      s.removeAllListeners('error');
      const fd = (s as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
      if (got !== FOLLOW_OK || typeof fd !== 'number' || fd < 0) {
        s.destroy();
        give('the tracer refused the hello');
        return;
      }
      give({ socket: s, fd });
    });
  });
}

/** Observes every kernel (and those opened later) into `fd`; returns the number observed now. */
function trace(registry: LiveKernelRegistry, socket: Socket, fd: number): number {
  const setBlocking = (blocking: boolean): boolean => {
    try {
      return (socket as unknown as { _handle?: { setBlocking?: (b: boolean) => number } })._handle?.setBlocking?.(blocking) === 0;
    } catch {
      return false;
    }
  };
  const b = new TraceBacklog({
    fd,
    limit: backlogLimit(),
    setBlocking,
    // As the tap: on one CPU full batches wait for the event loop (tap.ts says why).
    eager: availableParallelism() > 1,
  });
  const offs: (() => void)[] = [];
  let kernels = 0;
  let scheduled = false;
  let done = false;
  const flush = (): void => {
    scheduled = false;
    if (!done && !b.broken) b.flush();
  };
  const scheduleFlush = (): void => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush).unref();
    }
  };
  const observe = (kernel: MachKernel): void => {
    const write = backlogObserver(b, ++kernels, scheduleFlush);
    offs.push(
      kernel.observe((e) => {
        if (!done) write(e);
      }),
    );
  };
  for (const k of registry.kernels()) observe(k);
  const now = kernels;
  offs.push(registry.onOpen(observe));
  const atExit = (): void => b.finish();
  process.on('exit', atExit);
  const detach = (writeRest: boolean): void => {
    if (done) return;
    for (const off of offs) off();
    process.off('exit', atExit);
    if (writeRest && !b.broken) b.finish();
    done = true;
    globals[ATTACHED] = false;
    socket.end();
  };
  // The end of the tracer's side is the detach.
  socket.on('end', () => detach(true));
  socket.on('error', () => detach(false));
  socket.on('close', () => detach(false));
  // The socket must not keep the program alive once its own work is done.
  socket.unref();
  return now;
}
