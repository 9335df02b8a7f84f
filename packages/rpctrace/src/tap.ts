/**
 * The traced program's side: every kernel the program opens gets an
 * observer that writes each message to the trace pipe. Loaded by the
 * module wrapper that hooks.ts puts in place of 'hurd-ffi'.
 *
 * Lines are batched: one write per turn of the event loop (or per 64 KiB),
 * not one system call per message, which is most of what tracing costs a
 * program in an RPC storm. The batch is written synchronously when the
 * program exits (process 'exit' runs on process.exit(), on the end of the
 * event loop and after an uncaught exception), so nothing is lost then; a
 * program killed by a signal loses at most its last turn's messages.
 */
import { writeSync } from 'node:fs';
import type { MachKernel } from 'hurd-ffi';
import { traceEventOf } from './event.js';
import { TRACE_FD_GLOBAL, TRACE_KERNEL_GLOBAL, encodeWireEvent, wireEventSize, writeWireEvent, type ForcedKernel } from './wire.js';

// Left by the preload, which took it out of the environment.
const given = (globalThis as Record<symbol, unknown>)[TRACE_FD_GLOBAL];
const fd = typeof given === 'number' && Number.isInteger(given) && given >= 0 ? given : -1;
const forced = (globalThis as Record<symbol, unknown>)[TRACE_KERNEL_GLOBAL] as ForcedKernel | null | undefined;
/**
 * The -f socket is non-blocking (Node made it): a full one is waited on 50 µs
 * at a time, as a write to a full pipe blocks (1 ms steps left the program
 * idle while the tracer had already drained the socket).
 */
const pause = new Int32Array(new SharedArrayBuffer(4));
const BATCH = 64 * 1024;
let kernels = 0;
let broken = false;
const batch = new Uint8Array(BATCH);
let used = 0;
let scheduled = false;

function put(bytes: Uint8Array): void {
  let at = 0;
  try {
    while (at < bytes.length) {
      try {
        at += writeSync(fd, bytes, at, bytes.length - at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        Atomics.wait(pause, 0, 0, 0.05);
      }
    }
  } catch {
    // hurd-rpctrace went away: stop tracing, let the program run on.
    broken = true;
  }
}

function flush(): void {
  scheduled = false;
  if (used === 0 || broken) return;
  const n = used;
  used = 0;
  put(batch.subarray(0, n));
}

if (fd >= 0) process.on('exit', flush);

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
  if (fd < 0) return kernel;
  const k = ++kernels;
  // A task's name crosses the pipe once: the tracer remembers it.
  const named = new Set<number>();
  kernel.observe((e) => {
    if (broken) return;
    const ev = traceEventOf(e, performance.timeOrigin + performance.now());
    if (ev.taskName !== undefined) {
      if (named.has(ev.task)) ev.taskName = undefined;
      else named.add(ev.task);
    }
    const size = wireEventSize(ev);
    if (used + size > BATCH) flush();
    if (size > BATCH) put(encodeWireEvent(k, ev));
    else used = writeWireEvent(k, ev, batch, used);
    if (broken) return;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush).unref();
    }
  });
  return kernel;
}
