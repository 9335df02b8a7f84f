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
import { TRACE_FD_GLOBAL, encodeWireEvent, wireEventSize, writeWireEvent } from './wire.js';

// Left by the preload, which took it out of the environment.
const given = (globalThis as Record<symbol, unknown>)[TRACE_FD_GLOBAL];
const fd = typeof given === 'number' && Number.isInteger(given) && given >= 0 ? given : -1;
const BATCH = 64 * 1024;
let kernels = 0;
let broken = false;
const batch = new Uint8Array(BATCH);
let used = 0;
let scheduled = false;

function put(bytes: Uint8Array): void {
  let at = 0;
  try {
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
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

/** Starts tracing `kernel` (a no-op when the program runs without hurd-rpctrace). */
export function tapKernel(kernel: MachKernel): MachKernel {
  if (fd < 0) return kernel;
  const k = ++kernels;
  kernel.observe((e) => {
    if (broken) return;
    const ev = traceEventOf(e, performance.timeOrigin + performance.now());
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
