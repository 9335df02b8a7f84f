/**
 * The traced program's side: every kernel the program opens gets an
 * observer that writes each message's record to the trace pipe. The preload
 * leaves tapHook's object where hurd-ffi's openKernel consults it
 * (Symbol.for('hurd-ffi.open-hook'), live-kernels.ts), so that every copy of
 * hurd-ffi in the program, imported or required, hands it its kernels.
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
import type { KernelOpenHook, MachKernel, OpenKernelOptions } from 'hurd-ffi';
import { backlogLimit, backlogObserver, batchesEager } from './backlog-observer.js';
import { TraceBacklog } from './trace-backlog.js';
import type { ForcedKernel } from './wire.js';

/**
 * hurd-ffi's open hook key (live-kernels.ts): Symbol.for makes it the same
 * symbol here, without loading hurd-ffi into a program that may never use it.
 */
export const KERNEL_OPEN_HOOK: unique symbol = Symbol.for('hurd-ffi.open-hook');

/** Where the records go: the trace pipe or the -f socket, and the socket object the preload opened on it. */
export interface TapTarget {
  fd: number;
  /** The preload's socket on `fd`: its handle switches the descriptor to blocking for a wait. */
  socket?: unknown;
  /**
   * In place of `fd`: the records' consumer in this same process
   * (cli/in-process.ts), given every batch at once (TraceBacklog's `sink`).
   */
  sink?: (bytes: Uint8Array, full: boolean) => void;
}

/** The hook, and what its 'exit' listener does (everything left to the target), for a death by signal. */
export type TapHook = KernelOpenHook & { finish(): void };

/** Whether `target` takes records: a sink, or a descriptor. */
export function targetUsable(target: TapTarget | null): target is TapTarget {
  return target !== null && (target.sink !== undefined || (Number.isInteger(target.fd) && target.fd >= 0));
}

/**
 * The hook the preload leaves for hurd-ffi's openKernel: every kernel the
 * program opens gets an observer writing its records to `target` (none when
 * there is no target: the program runs untraced), and with --kernel the
 * options are those hurd-rpctrace was told (tapKernelOptions).
 * `coarseClock`: the trace shows no time (TRACE_CLOCK_ENV; backlogObserver's `coarse`).
 */
export function tapHook(target: TapTarget | null, forced: ForcedKernel | null, coarseClock = false): TapHook {
  const backlog = targetUsable(target) ? startBacklog(target) : null;
  let kernels = 0;
  let scheduled = false;
  let retry: ReturnType<typeof setTimeout> | null = null;

  // Run after every message (inlined into the observer): `=== false`, one
  // comparison, where `!scheduled` on this closure variable compiled to a full ToBoolean.
  const scheduleFlush = (): void => {
    if (scheduled === false) {
      scheduled = true;
      setImmediate(flush).unref();
    }
  };
  const flush = (): void => {
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
  };

  return {
    version: 1,
    options: (options: OpenKernelOptions) => tapKernelOptions(options, forced),
    opened: (kernel: MachKernel) => {
      if (backlog !== null) kernel.observe(backlogObserver(backlog, ++kernels, scheduleFlush, undefined, coarseClock));
    },
    finish: () => backlog?.finish(),
  };
}

/**
 * Switches `target`'s descriptor between blocking and non-blocking through
 * the preload's socket handle (for a final synchronous write); false if it cannot.
 */
export function targetSetBlocking(target: TapTarget): (blocking: boolean) => boolean {
  return (blocking) => {
    const s = target.socket as { _handle?: { setBlocking?: (b: boolean) => number } } | undefined;
    try {
      return s?._handle?.setBlocking?.(blocking) === 0;
    } catch {
      return false;
    }
  };
}

function startBacklog(target: TapTarget): TraceBacklog {
  const setBlocking = targetSetBlocking(target);
  /**
   * With one CPU to run on (taskset, cgroups: availableParallelism follows the
   * affinity) the tracer shares it with the program: full batches then wait
   * for the event loop to turn (or for the bound), so that the tracer decodes
   * while the program is idle or done rather than in the middle of its RPCs.
   * With more, they go at once and the tracer decodes beside the program.
   * HURD_RPCTRACE_EAGER=0|1 chooses either way (two CPUs: which is the better
   * is not settled, BENCHMARKS.md 2026-11-29 22:41 section).
   */
  // A sink in this process takes full batches at once: nothing to share a CPU with.
  const eager = target.sink !== undefined || batchesEager(availableParallelism());
  // The in-process record loop copies what it keeps of a batch (lines, decodes, a cut record: wire-reader.ts #keep), so its batch is refilled.
  const backlog = new TraceBacklog({ fd: target.fd, limit: backlogLimit(), setBlocking, eager, ...(target.sink === undefined ? {} : { sink: target.sink, reuseBatch: true }) });
  process.on('exit', () => backlog.finish());
  return backlog;
}

/**
 * The options the program's openKernel call gets: with --kernel, the backend
 * (and with --abi the ABI) hurd-rpctrace was told, whatever the program
 * asked; the program's other options pass through (gnumach ignores sim's).
 */
export function tapKernelOptions<T>(options: T, forced: ForcedKernel | null): T {
  if (forced === null) return options;
  const given = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
  return { ...given, backend: forced.backend, ...(forced.abi === undefined ? {} : { abi: forced.abi }) } as T;
}
