/**
 * The traced program's side: every kernel the program opens gets an
 * observer that writes each message's record to the trace pipe. Loaded by
 * the module wrapper that hooks.ts puts in place of 'hurd-ffi'.
 *
 * The observer runs inside the kernel's send and receive paths, so it only
 * copies: the record (wire.ts) is written straight from hurd-ffi's event
 * into a batch (no object per message), and batches leave through the
 * backlog (trace-backlog.ts): non-blocking writes, a bounded queue in
 * memory, so the program does not wait while the tracer decodes. A batch
 * leaves once per turn of the event loop, and when full if the program may
 * use more than one CPU (see `eager` below); everything left is
 * written synchronously when the program exits (process 'exit' runs on
 * process.exit(), on the end of the event loop and after an uncaught
 * exception), so nothing is lost then; a program killed by a signal loses
 * what it had not written yet (at most its queue).
 */
import { availableParallelism } from 'node:os';
import type { MachKernel } from 'hurd-ffi';
import { backlogLimit, backlogObserver } from './backlog-observer.js';
import { TraceBacklog } from './trace-backlog.js';
import { TRACE_FD_GLOBAL, TRACE_KERNEL_GLOBAL, TRACE_SOCKET_GLOBAL, type ForcedKernel } from './wire.js';

// Left by the preload, which took it out of the environment.
const given = (globalThis as Record<symbol, unknown>)[TRACE_FD_GLOBAL];
const fd = typeof given === 'number' && Number.isInteger(given) && given >= 0 ? given : -1;
const forced = (globalThis as Record<symbol, unknown>)[TRACE_KERNEL_GLOBAL] as ForcedKernel | null | undefined;

/** The preload's socket on our descriptor: its handle switches the descriptor to blocking for a wait. */
function setBlocking(blocking: boolean): boolean {
  const s = (globalThis as Record<symbol, unknown>)[TRACE_SOCKET_GLOBAL] as { _handle?: { setBlocking?: (b: boolean) => number } } | undefined;
  try {
    return s?._handle?.setBlocking?.(blocking) === 0;
  } catch {
    return false;
  }
}

/**
 * With one CPU to run on (taskset, cgroups: availableParallelism follows the
 * affinity) the tracer shares it with the program: full batches then wait
 * for the event loop to turn (or for the bound), so that the tracer decodes
 * while the program is idle or done rather than in the middle of its RPCs.
 * With more, they go at once and the tracer decodes beside the program.
 */
const eager = availableParallelism() > 1;
const backlog = fd >= 0 ? new TraceBacklog({ fd, limit: backlogLimit(), setBlocking, eager }) : null;
let kernels = 0;
let scheduled = false;
let retry: ReturnType<typeof setTimeout> | null = null;

function scheduleFlush(): void {
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush).unref();
  }
}

function flush(): void {
  scheduled = false;
  if (backlog === null || backlog.broken) return;
  // A full pipe: try again soon, without keeping the program alive for it (its exit writes the rest).
  if (backlog.flush() && retry === null) {
    retry = setTimeout(() => {
      retry = null;
      flush();
    }, 1);
    retry.unref();
  }
}

if (backlog !== null) process.on('exit', () => backlog.finish());

/**
 * The options the program's openKernel call gets: with --kernel, the backend
 * (and with --abi the ABI) hurd-rpctrace was told, whatever the program
 * asked; the program's other options pass through (gnumach ignores sim's).
 */
export function tapKernelOptions<T>(options: T): T {
  if (forced === null || forced === undefined) return options;
  const given = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
  return { ...given, backend: forced.backend, ...(forced.abi === undefined ? {} : { abi: forced.abi }) } as T;
}

/** Starts tracing `kernel` (a no-op when the program runs without hurd-rpctrace). */
export function tapKernel(kernel: MachKernel): MachKernel {
  if (backlog === null) return kernel;
  kernel.observe(backlogObserver(backlog, ++kernels, scheduleFlush));
  return kernel;
}
