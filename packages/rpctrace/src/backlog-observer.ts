/**
 * The observer that turns a kernel's messages into trace records in a
 * backlog, shared by the preload's tap (tap.ts) and `-p`'s agent
 * (attach/agent.ts). It runs inside the kernel's send and receive paths, so
 * it only copies: each record is written straight from hurd-ffi's event
 * into the backlog's batch (wire.ts), no object per message.
 */
import type { MsgObserver } from 'hurd-ffi';
import { DEFAULT_BACKLOG, type TraceBacklog } from './trace-backlog.js';
import { TRACE_BACKLOG_ENV, TRACE_EAGER_ENV, extensionLength, taskNameBytes, writeExtension } from './wire.js';

/** HURD_RPCTRACE_BACKLOG: the queue's bound in bytes (default 64 MiB). */
export function backlogLimit(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[TRACE_BACKLOG_ENV] ?? '');
  return env[TRACE_BACKLOG_ENV] !== undefined && Number.isSafeInteger(v) && v >= 0 ? v : DEFAULT_BACKLOG;
}

/** HURD_RPCTRACE_EAGER: `1` full batches leave at once, `0` they wait for the event loop; else at once with more than one CPU. */
export function batchesEager(cpus: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[TRACE_EAGER_ENV];
  return v === '1' ? true : v === '0' ? false : cpus > 1;
}

/**
 * With a coarse clock, the clock is read again after this many messages (and
 * at the first message after each flush of the backlog).
 */
export const COARSE_CLOCK_EVERY = 256;

/**
 * An observer writing kernel number `kernel`'s messages into `b`, calling
 * `written` after each (the caller schedules the batch's flush). A task's
 * name crosses once: the tracer remembers it. `clock` (tests: a virtual
 * clock) replaces the time origin plus performance.now().
 *
 * `coarse`: the trace shows no time (hurd-rpctrace without -T, -t, -r,
 * --json, --pcap or a -c counted from records: TRACE_CLOCK_ENV), so each
 * record's time need not be its own: the clock is read at the first message
 * after each flush of the backlog (an event-loop turn, or a batch written
 * when full) and then every COARSE_CLOCK_EVERY messages, and the records in
 * between carry the last reading. In a storm performance.now() was about a
 * third of the observer's own instructions (four per RPC); the records stay
 * valid (a finite time, never decreasing) and the lines identical.
 */
export function backlogObserver(b: TraceBacklog, kernel: number, written: () => void, clock?: () => number, coarse?: boolean): MsgObserver {
  // (No default parameter values: with one, every parameter the closures below read is checked
  // against the temporal dead zone on each read, bytes of bytecode that count against V8's budget.)
  // Tasks whose name was sent, by task id (small integers): an element load per message, where a Set's lookup was a hash probe.
  const named: (true | undefined)[] = [];
  // Read once: performance.timeOrigin is a getter costing about as much as performance.now() itself.
  const origin = performance.timeOrigin;
  // The object itself, kept: the global \`performance\` is a lazy getter in Node 20, and reading it
  // per call made a clock read about 410 instructions instead of 210 (cachegrind, 1M calls).
  const perf = performance;
  const now = clock ?? (() => origin + perf.now());
  // The coarse clock's last reading, how many more messages may carry it, and the flush it was read after.
  const last = { time: 0, left: 0, flushes: -1 };
  function coarseNow(): number {
    if (--last.left < 0 || last.flushes !== b.flushes) {
      last.time = now();
      last.left = COARSE_CLOCK_EVERY - 1;
      last.flushes = b.flushes;
    }
    return last.time;
  }
  const stamp = coarse === true ? coarseNow : now;
  // A task's name the first time the task is seen, else null.
  function nameOnce(task: number, taskName: string): Uint8Array | null {
    if (named[task] === true) return null;
    named[task] = true;
    return taskNameBytes(taskName);
  }
  // The observer and what it calls on every message stay small enough for V8 to inline (460
  // bytes of bytecode a function, 920 in all): the writer was over it before, a 15-argument call
  // per message. hurd-ffi's emit inlines the observer too when V8 optimises emit first (then the
  // event object is never made); optimised first itself, the observer inlines its callees and
  // emit calls it (BENCHMARKS.md, 2026-11-30 15:42 section, part 4). The clock and the task's
  // name are calls of their own, the extension a call on the records that have one. Making the
  // observer small enough for emit to inline it in either order was tried (2026-11-30 17:22
  // section: the common path alone, the rest out of line): the tap alone -77 instructions per
  // RPC, but the whole `-o FILE` run +0.1% (a larger fixed part); not kept.
  return (e) => {
    if (b.broken) return;
    const name = e.taskName === undefined ? null : nameOnce(e.task, e.taskName);
    const bytes = e.bytes;
    const replyPort = e.replyPort ?? 0;
    const ext = extensionLength(replyPort, e.rcvName, e.destroyed, name);
    const size = 36 + ext + (bytes === null ? 0 : bytes.length);
    const at = b.reserve(size);
    const t = stamp();
    // Read after reserve, which may have started a new batch.
    const out = b.buf;
    const v = b.view;
    // The record's header (wire.ts's table; writeHeader's stores, written here rather than called):
    // a call, even one V8 inlines here, is a function of its own that ran hot before this observer
    // did and was compiled alone first (~9.5M instructions of TurboFan, once, a storm's -o FILE
    // run; BENCHMARKS.md, 2026-12-01 00:00 section). tap-writer.test.ts checks these bytes against encodeWireEvent's.
    v.setUint32(at, size, true);
    const abi = e.abi;
    out[at + 4] = e.phase === 'send' ? 0 : 1;
    out[at + 5] = abi === null ? 0 : abi === 'i386' ? 1 : 2;
    out[at + 6] = bytes === null ? 0 : 1;
    out[at + 7] = ext === 0 ? 0 : 1;
    v.setUint32(at + 8, kernel, true);
    v.setUint32(at + 12, e.task, true);
    v.setUint32(at + 16, e.port, true);
    v.setInt32(at + 20, e.msgId, true);
    v.setFloat64(at + 24, t, true);
    v.setInt32(at + 32, e.kr ?? 0, true);
    if (ext !== 0) writeExtension(v, out, at + 36, replyPort, e.rcvName, e.destroyed, name);
    if (bytes !== null) out.set(bytes, at + 36 + ext);
    b.used = at + size;
    written();
  };
}
