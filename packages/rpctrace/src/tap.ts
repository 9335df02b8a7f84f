/**
 * The traced program's side: every kernel the program opens gets an
 * observer that writes each message to the trace pipe. Loaded by the
 * module wrapper that hooks.ts puts in place of 'hurd-ffi'.
 */
import { writeSync } from 'node:fs';
import type { MachKernel } from 'hurd-ffi';
import { traceEventOf } from './event.js';
import { TRACE_FD_GLOBAL, encodeWireEvent } from './wire.js';

// Left by the preload, which took it out of the environment.
const given = (globalThis as Record<symbol, unknown>)[TRACE_FD_GLOBAL];
const fd = typeof given === 'number' && Number.isInteger(given) && given >= 0 ? given : -1;
let kernels = 0;
let broken = false;

/** Starts tracing `kernel` (a no-op when the program runs without hurd-rpctrace). */
export function tapKernel(kernel: MachKernel): MachKernel {
  if (fd < 0) return kernel;
  const k = ++kernels;
  kernel.observe((e) => {
    if (broken) return;
    const line = encodeWireEvent(k, traceEventOf(e, performance.timeOrigin + performance.now()));
    try {
      writeSync(fd, line);
    } catch {
      // hurd-rpctrace went away: stop tracing, let the program run on.
      broken = true;
    }
  });
  return kernel;
}
