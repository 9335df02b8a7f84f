/**
 * `hurd-rpctrace -c` counted in the traced program: the preload's hook
 * (tap.ts's counterpart) gives every kernel the program opens an observer
 * counting as a summary-only RpcTracer (records: false, no arguments
 * decoded: what the tracer process runs for -c) would, and sends the
 * tracer process only the resulting per-routine table (summary-wire.ts): once the counts
 * change, then at most once per period while they keep changing, and at
 * the exit (process 'exit', synchronously, as the tap's records go). A
 * program killed by a signal leaves its last snapshot.
 *
 * Each event is counted (summary-count.ts: the summary-only RpcTracer's
 * table, leaner) exactly as the tracer process would have read it back from
 * the message record (the same field normalizations as wire.ts's round
 * trip: u32 task, port and reply port, i32 msgh_id and return code, 0
 * meaning none, an unknown destroy reason as port-died), with the same clock
 * as the tap (performance.timeOrigin + performance.now()), so that the table
 * is the one the record path prints, minus the pipe, the record writing and
 * the tracer process's decoding.
 */
import type { MachKernel, MsgObserver, OpenKernelOptions } from 'hurd-ffi';
import { backlogLimit } from './backlog-observer.js';
import { parseFilter } from './filter.js';
import { type TapHook, type TapTarget, tapKernelOptions, targetSetBlocking, targetUsable } from './tap.js';
import { TraceBacklog } from './trace-backlog.js';
import type { RpcTracerOptions } from './tracer.js';
import { SummaryCounter } from './summary-count.js';
import { loadUserDefs } from './user-defs.js';
import { SNAPSHOT_PERIOD_MS, encodeSnapshot, type KernelSummary, type SummaryConfig, type SummarySnapshot } from './summary-wire.js';
import type { ForcedKernel } from './wire.js';

/** hurd-ffi's destroy reasons the record carries (wire.ts); any other reads back as port-died. */
const DESTROY_CODES: ReadonlySet<string> = new Set(['port-died', 'dead-destination', 'circular', 'sender-terminated', 'too-large']);

/** The RpcTracer options -c runs with (session.ts's for `summary: true`), from the command's settings. */
export function summaryTracerOptions(config: SummaryConfig): RpcTracerOptions {
  const o: RpcTracerOptions = { args: false, records: false, messages: false };
  if (config.filter.length > 0) o.filter = parseFilter(config.filter);
  if (config.defs.length + config.includeDirs.length + config.msgids.length > 0) {
    const user = loadUserDefs({ defs: config.defs, includeDirs: config.includeDirs, msgids: config.msgids });
    o.interfaces = user.interfaces;
    if (user.catalog !== undefined) o.catalog = user.catalog;
  }
  return o;
}

/**
 * The per-kernel counting of one process, and its snapshots. `send` gets
 * each snapshot's record; `changed` is told after every counted message
 * (the caller schedules the next snapshot).
 */
export class ProcessSummary {
  readonly #options: RpcTracerOptions | null;
  readonly #kernels: { kernel: number; first: number; tracer: SummaryCounter }[] = [];
  #bad: string | undefined;
  #dirty = false;

  /** `options`: the tracers' (summaryTracerOptions); a string: why counting cannot start (sent as `bad`). */
  constructor(options: RpcTracerOptions | string) {
    if (typeof options === 'string') {
      this.#options = null;
      this.#bad = options;
      this.#dirty = true;
    } else this.#options = options;
  }

  /** True when a message was counted since the last snapshot(). */
  get dirty(): boolean {
    return this.#dirty;
  }

  /**
   * The observer of kernel number `kernel`: each message counted at
   * `clock()` (the tap's clock by default), read during the observer call
   * when the table needs the message's time (summary-count.ts), so a clock
   * must tell the time, not count its reads. `changed` after each.
   */
  observer(kernel: number, changed: () => void, clock?: () => number): MsgObserver {
    // Read once: performance.timeOrigin is a getter costing about as much as performance.now() itself (backlog-observer.ts).
    const origin = performance.timeOrigin;
    // The object kept, not the global getter read per call (backlog-observer.ts).
    const perf = performance;
    const now = clock ?? ((): number => origin + perf.now());
    let entry: { kernel: number; first: number; tracer: SummaryCounter } | null = null;
    return (e) => {
      if (this.#bad !== undefined || this.#options === null) return;
      try {
        let clock = now;
        if (entry === null) {
          // The kernel's first message: its time orders the tables (and is this message's time).
          const first = now();
          clock = () => first;
          this.#kernels.push((entry = { kernel, first, tracer: new SummaryCounter(this.#options) }));
        }
        // Each field as the tracer process reads it back from the message record (wire.ts's round trip), without an event object.
        const kr = (e.kr ?? 0) | 0;
        const rp = (e.replyPort ?? 0) >>> 0;
        const d = e.destroyed;
        entry.tracer.count(
          e.phase === 'send',
          e.task >>> 0,
          e.port >>> 0,
          e.msgId | 0,
          e.bytes,
          e.abi === null ? null : e.abi === 'i386' ? 'i386' : 'x86_64',
          clock,
          kr !== 0 ? kr : undefined,
          rp !== 0 ? rp : undefined,
          d === undefined ? undefined : DESTROY_CODES.has(d) ? d : 'port-died',
        );
      } catch (err) {
        // As a record the tracer process cannot take stops its stream: counting stops, the table so far stands.
        this.#bad = err instanceof Error ? err.message : String(err);
      }
      this.#dirty = true;
      changed();
    };
  }

  /** The tables so far. */
  snapshot(): SummarySnapshot {
    this.#dirty = false;
    const kernels: KernelSummary[] = this.#kernels.map((k) => ({ kernel: k.kernel, first: k.first, stats: k.tracer.summary() }));
    return this.#bad === undefined ? { kernels } : { kernels, bad: this.#bad };
  }
}

/**
 * The preload's hook in -c mode (tap.ts's tapHook otherwise): kernels are
 * counted here; snapshots go to `target` through a TraceBacklog (non-blocking
 * writes; the exit's waits for the tracer to read).
 */
export function summaryHook(target: TapTarget | null, forced: ForcedKernel | null, config: SummaryConfig): TapHook {
  const backlog = targetUsable(target) ? startBacklog(target) : null;
  let summary: ProcessSummary | null = null;
  let kernels = 0;
  const period = config.period ?? SNAPSHOT_PERIOD_MS;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = -Infinity;

  const send = (): void => {
    if (backlog === null || backlog.broken || summary === null) return;
    const rec = encodeSnapshot(summary.snapshot());
    const at = backlog.reserve(rec.length);
    backlog.buf.set(rec, at);
    backlog.used = at + rec.length;
    backlog.flush();
    last = performance.now();
  };
  const tick = (): void => {
    timer = null;
    if (summary?.dirty === true) send();
  };
  // The first change goes at the next turn of the event loop, later ones a period after the last snapshot.
  const changed = (): void => {
    if (timer !== null) return;
    timer = setTimeout(tick, Math.max(0, last + period - performance.now()));
    timer.unref();
  };
  const finish = (): void => {
    if (backlog === null) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (summary !== null) send();
    backlog.finish();
  };
  if (backlog !== null) process.on('exit', finish);

  return {
    version: 1,
    options: (options: OpenKernelOptions) => tapKernelOptions(options, forced),
    opened: (kernel: MachKernel) => {
      if (backlog === null) return;
      if (summary === null) {
        let options: RpcTracerOptions | string;
        try {
          options = summaryTracerOptions(config);
        } catch (e) {
          options = e instanceof Error ? e.message : String(e);
        }
        summary = new ProcessSummary(options);
        if (typeof options === 'string') changed();
      }
      kernel.observe(summary.observer(++kernels, changed));
    },
    finish,
  };
}

function startBacklog(target: TapTarget): TraceBacklog {
  return new TraceBacklog({ fd: target.fd, limit: backlogLimit(), setBlocking: targetSetBlocking(target), ...(target.sink === undefined ? {} : { sink: target.sink }) });
}
