/**
 * hurd-rpctrace running a node script in its own process (the default for
 * `hurd-rpctrace [opts] -- node SCRIPT [args]`: cli/node-script.ts): no
 * second Node start-up and no pipe. The tap the preload would install goes
 * in here (tap.ts; with -c the counting one, summary-tap.ts), its batches
 * go straight to the record loop (cli/consume.ts, or summary-consume.ts
 * for -c), synchronously, each time one is full and at each turn of the
 * event loop; the script then starts as Node starts a main module
 * (Module.runMain: CommonJS or ESM, require.main set).
 *
 * The process is then the program's: its exit status is the program's, and
 * the trace is finished in a process 'exit' listener (natural end,
 * process.exit, an uncaught exception). SIGINT/SIGTERM with no listener of
 * the program's: the trace is finished, then the signal is raised again
 * with its default action, so the process dies of it as Node's would.
 * Nothing here keeps the event loop alive (no timers, no streams; signal
 * listeners are unref'd by Node).
 */
import Module from 'node:module';
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { RpcTraceError } from '../errors.js';
import { TRACE_SUMMARY_ENV } from '../summary-wire.js';
import { KERNEL_OPEN_HOOK, tapHook, type TapHook, type TapTarget } from '../tap.js';
import { TRACE_CLOCK_ENV, TRACE_FD_ENV, TRACE_KERNEL_ENV, TRACE_SOCKET_ENV, TRACE_TOKEN_ENV, type ForcedKernel } from '../wire.js';
import type { CliOptions } from './args.js';
import type * as Consume from './consume.js';
import type { NodeScript } from './node-script.js';
import { TextBatch } from './text-batch.js';
import type * as SummaryConsume from './summary-consume.js';

export interface InProcessRun {
  options: CliOptions;
  command: NodeScript;
  /** -c counted by the tap (run.ts's countsInProgram): snapshots, not records. */
  countsInProgram: boolean;
  /** The trace shows no record's time (run.ts's coarseClockFor). */
  coarseClock: boolean;
  /** --pcap's writer (run.ts's openPcap), if any. */
  pcap: ((packet: Uint8Array | null) => void) | undefined;
}

/** The record loop's end: the consumer of either kind (run.ts's StreamConsumer). */
interface Consumer {
  feed(id: number, pid: number | null, chunk: Uint8Array): void;
  finish(): string[];
}

/**
 * Sets the tracing up, then starts the script (next tick: a throw at its top
 * level is an uncaught exception, as under Node, not a rejection of ours).
 * Resolves never: the program's end is the process's. Throws
 * RpcTraceError before anything runs (an -o FILE that cannot be opened,
 * bad --defs), as the child mode does.
 */
export async function runInProcess(r: InProcessRun): Promise<never> {
  const o = r.options;
  const out = syncOutput(o.output);
  let consumer: Consumer;
  try {
    if (r.countsInProgram) {
      // The user's .defs are checked now, as the child mode does: a usage error before the program runs.
      if (o.defs.length + o.includeDirs.length + o.msgids.length > 0) (await loadConsume()).sessionOptions(o);
      const m = await loadModule<typeof SummaryConsume>('cli-summary.js', './summary-consume.js');
      consumer = new m.SummaryConsumer(out.write);
    } else {
      const m = await loadConsume();
      consumer = new m.TraceConsumer(m.sessionOptions(o), o.summary, { write: out.write, writeBytes: out.writeBytes, perTask: null, pcap: r.pcap });
    }
  } catch (e) {
    out.close();
    throw e;
  }

  // The record loop runs inside the program's kernel calls: whatever it throws stops the trace, never the program.
  let failure: string | null = null;
  const sink = (bytes: Uint8Array): void => {
    if (failure !== null) return;
    try {
      consumer.feed(0, null, bytes);
      out.batchDone();
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    }
  };
  const target: TapTarget = { fd: -1, sink };
  const forced: ForcedKernel | null = o.kernel === null ? null : o.kernel.abi === null ? { backend: o.kernel.backend } : { backend: o.kernel.backend, abi: o.kernel.abi };
  const hook: TapHook = r.countsInProgram
    ? (await loadModule<typeof import('../summary-tap.js')>('summary-tap.js', '../summary-tap.js')).summaryHook(target, forced, {
        filter: o.filter,
        defs: o.defs.map((f) => resolvePath(f)),
        includeDirs: o.includeDirs.map((d) => resolvePath(d)),
        msgids: o.msgids.map((f) => resolvePath(f)),
      })
    : tapHook(target, forced, r.coarseClock);
  (globalThis as Record<symbol, unknown>)[KERNEL_OPEN_HOOK] = hook;

  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    hook.finish();
    let bad: string[];
    try {
      bad = failure === null ? consumer.finish() : [];
    } catch (e) {
      bad = [];
      failure ??= e instanceof Error ? e.message : String(e);
    }
    out.close();
    r.pcap?.(null);
    for (const line of bad) stderrSync(`hurd-rpctrace: ${line}\n`);
    if (failure !== null) stderrSync(`hurd-rpctrace: the trace stopped: ${failure}\n`);
  };
  // After the tap's own 'exit' listener (installed with the hook): every record is in by then.
  process.on('exit', finish);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      // The program listens: what the signal does is its business (it may exit, and 'exit' finishes).
      if (process.listenerCount(signal) > 1) return;
      finish();
      process.off(signal, onSignal);
      // No listener left: the default action, the death Node's would die.
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }

  // What the program sees of the environment: what the child mode gives it (no settings of a tracer around this one).
  for (const k of [TRACE_FD_ENV, TRACE_KERNEL_ENV, TRACE_SOCKET_ENV, TRACE_TOKEN_ENV, TRACE_SUMMARY_ENV, TRACE_CLOCK_ENV]) delete process.env[k];
  process.argv = [process.execPath, r.command.script, ...r.command.args];
  process.nextTick(() => (Module as unknown as { runMain(): void }).runMain());
  return new Promise<never>(() => undefined);
}

/**
 * The trace's text, written with writeSync (nothing asynchronous may be left
 * at the exit): to -o's FILE in writes of 64 KiB (and the rest at close),
 * to stderr (descriptor 2) once per batch of records as well, so that the
 * trace keeps up with what the program itself writes there.
 */
function syncOutput(file: string | null): { write: (s: string) => void; writeBytes: (b: Uint8Array) => void; batchDone: () => void; close: () => void } {
  let fd: number | null = 2;
  if (file !== null) {
    try {
      fd = openSync(file, 'w');
    } catch (e) {
      throw new RpcTraceError('invalid_option', `cannot open ${file}: ${(e as Error).message}`);
    }
  }
  const batch = new TextBatch();
  const drain = (): void =>
    batch.drain((bytes, n) => {
      if (fd !== null && !writeAll(fd, bytes, n)) fd = null;
    });
  return {
    write: (s) => {
      if (s === '' || fd === null) return;
      if (batch.addText(s)) drain();
    },
    // The consumer's lines as bytes, copied before this returns (its buffer is reused).
    writeBytes: (b) => {
      if (b.length === 0 || fd === null) return;
      if (batch.addBytes(b)) drain();
    },
    batchDone: () => {
      if (file === null) drain();
    },
    close: () => {
      drain();
      if (fd !== null && file !== null) closeSync(fd);
      fd = null;
    },
  };
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes `n` bytes of `b` to `fd`, waiting out EAGAIN (a non-blocking pipe
 * on stderr); false if the descriptor failed otherwise (the reader is gone:
 * the trace stops, the program runs on).
 */
function writeAll(fd: number, b: Uint8Array, n: number): boolean {
  for (let at = 0; at < n; ) {
    try {
      at += writeSync(fd, b, at, n - at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return false;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
  return true;
}

function stderrSync(s: string): void {
  const b = Buffer.from(s);
  writeAll(2, b, b.length);
}

function loadConsume(): Promise<typeof Consume> {
  return loadModule<typeof Consume>('cli-consume.js', './consume.js');
}

/** As run.ts's loadModule: the built module's own file next to this one's build, or the source module. */
async function loadModule<T>(built: string, source: string): Promise<T> {
  const spec = import.meta.url.endsWith('.ts') ? source : `./${built}`;
  return (await import(/* @vite-ignore */ spec)) as T;
}
