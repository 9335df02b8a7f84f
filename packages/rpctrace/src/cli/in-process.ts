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
 * process.exit, an uncaught exception). SIGINT, SIGTERM, SIGHUP, SIGQUIT
 * with no listener of the program's: the trace is finished, then the
 * signal is raised again with its default action, so the process dies of
 * it as Node's would. The text is written out at the end of each turn of
 * the event loop (and every 64 KiB), so a SIGKILL loses at most the
 * records of the turn it came in. With -f the program's children report to a worker thread
 * (cli/in-process-follow.ts, which says how the ends compare with the
 * child mode's). Nothing here keeps the event loop alive (no timers, no
 * streams; signal listeners are unref'd by Node, the -f worker too).
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
import { PerTaskFiles } from './per-task.js';
import type { InProcessFollow } from './in-process-follow.js';
import type * as InProcessFollowModule from './in-process-follow.js';
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
  /** -f: what the program's children need in their environment besides the socket (NODE_OPTIONS, the preload's settings); else null. */
  childEnv: Record<string, string> | null;
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
  // -ff: lines go to a file per task, none to -o's FILE itself (as in the child mode).
  const out = syncOutput(o.perTask ? null : o.output);
  const perTask = o.perTask && o.output !== null ? new PerTaskFiles(o.output) : null;
  let consumer: Consumer;
  try {
    if (r.countsInProgram) {
      // The user's .defs are checked now, as the child mode does: a usage error before the program runs.
      if (o.defs.length + o.includeDirs.length + o.msgids.length > 0) (await loadConsume()).sessionOptions(o);
      const m = await loadModule<typeof SummaryConsume>('cli-summary.js', './summary-consume.js');
      consumer = new m.SummaryConsumer(out.write);
    } else {
      const m = await loadConsume();
      consumer = new m.TraceConsumer(m.sessionOptions(o), o.summary, { write: out.write, writeBytes: out.writeBytes, perTask, pcap: r.pcap });
    }
  } catch (e) {
    out.close();
    throw e;
  }

  // The record loop runs inside the program's kernel calls: whatever it throws stops the trace, never the program.
  let failure: string | null = null;
  // With -f the program's own stream is one of the tree's: [pid N] as its children's (whose streams are 0, 1, ...).
  const ownId = r.childEnv === null ? 0 : -1;
  const ownPid = r.childEnv === null ? null : process.pid;
  /** Feed one stream's bytes, then `written` (the output's next step); after a failure nothing more. */
  const feed = (id: number, pid: number | null, bytes: Uint8Array, written: () => void): void => {
    if (failure !== null) return;
    try {
      consumer.feed(id, pid, bytes);
      written();
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    }
  };
  // A full batch's text waits for 64 KiB or the turn's end (batchFull); a turn's batch, or the last, is written out (batchDone).
  const sink = (bytes: Uint8Array, full: boolean): void => feed(ownId, ownPid, bytes, full ? out.batchFull : out.batchDone);
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

  // What the program sees of the environment: what the child mode gives it (no settings of a tracer around this one; with -f, this one's).
  for (const k of [TRACE_FD_ENV, TRACE_KERNEL_ENV, TRACE_SOCKET_ENV, TRACE_TOKEN_ENV, TRACE_SUMMARY_ENV, TRACE_CLOCK_ENV]) delete process.env[k];
  let follow: InProcessFollow | null = null;
  if (r.childEnv !== null) {
    const { followInProcess } = await loadModule<typeof InProcessFollowModule>('cli-in-process-follow.js', './in-process-follow.js');
    // The built worker next to the built module; the source one beside this one.
    const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './follow-worker.ts' : './cli-follow-worker.js', import.meta.url);
    follow = await followInProcess(
      workerUrl,
      (id, pid, bytes) => feed(id, pid, bytes, () => out.drainSoon()),
      (why) => stderrSync(`hurd-rpctrace: -f: refused a connection: ${why}\n`),
      (why) => stderrSync(`hurd-rpctrace: -f: cannot listen: ${why}; the program's processes run untraced\n`),
      r.childEnv,
    );
  }

  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    hook.finish();
    // -f: what the children's streams hold now; those still open are said, after the trace.
    let running: number[] = [];
    try {
      running = follow?.end() ?? [];
    } catch (e) {
      failure ??= e instanceof Error ? e.message : String(e);
    }
    let bad: string[];
    try {
      bad = failure === null ? consumer.finish() : [];
    } catch (e) {
      bad = [];
      failure ??= e instanceof Error ? e.message : String(e);
    }
    // In a text trace as a line of its own; with --json, -c or -ff (no such lines), on stderr.
    const textTrace = !o.json && !o.summary && perTask === null;
    if (textTrace) for (const pid of running) out.write(unfinishedLine(pid));
    out.close();
    if (!textTrace) for (const pid of running) stderrSync(`hurd-rpctrace: ${unfinishedLine(pid)}`);
    try {
      perTask?.close();
    } catch (e) {
      failure ??= e instanceof Error ? e.message : String(e);
    }
    r.pcap?.(null);
    for (const line of bad) stderrSync(`hurd-rpctrace: ${line}\n`);
    if (failure !== null) stderrSync(`hurd-rpctrace: the trace stopped: ${failure}\n`);
  };
  // After the tap's own 'exit' listener (installed with the hook): every record is in by then.
  process.on('exit', finish);
  for (const signal of FINISHING_SIGNALS) {
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

  process.argv = [process.execPath, r.command.script, ...r.command.args];
  process.nextTick(() => (Module as unknown as { runMain(): void }).runMain());
  return new Promise<never>(() => undefined);
}

/**
 * What a text trace says of a -f process still running at the program's
 * exit (its stream read up to then), as strace marks what it did not see
 * the end of.
 */
export function unfinishedLine(pid: number): string {
  return `[pid ${pid}] <... still running at the program's exit: its trace ends here>\n`;
}

/**
 * Signals whose default action kills, which the trace is finished for
 * before the process dies of them (when the program has no listener):
 * SIGINT and SIGTERM (Node's own handlers reset the terminal and die of
 * them), SIGHUP (a closed terminal) and SIGQUIT (Node installs no handler
 * for either: the default action). Not SIGUSR1 (Node's inspector) nor
 * SIGPIPE (ignored by Node).
 */
const FINISHING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/**
 * The trace's text, written with writeSync (nothing asynchronous may be left
 * at the exit), to -o's FILE or stderr (descriptor 2): at the end of each
 * turn of the event loop in which records came (the tap's flush gives its
 * batch: batchDone), so that a SIGKILL loses at most the records of the
 * turn it came in, and every 64 KiB (TextBatch.DRAIN_AT) in between. A
 * full batch of records (the tap's SINK_BATCH_BYTES) is not written out by
 * itself (batchFull): written per batch (of 32 KiB then, some 6.7 KB of a
 * null storm's lines), a storm of 100,000 null RPCs made ~1,060 writes
 * instead of ~110 of 64 KiB (BENCHMARKS.md, 2026-11-30 21:14 section).
 * -f's streams: once per turn of the event loop (drainSoon).
 */
function syncOutput(file: string | null): {
  write: (s: string) => void;
  writeBytes: (b: Uint8Array) => void;
  batchDone: () => void;
  batchFull: () => void;
  drainSoon: () => void;
  close: () => void;
} {
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
  let soon = false;
  const drainNow = (): void => {
    soon = false;
    drain();
  };
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
    batchDone: drain,
    // writeBytes drains at 64 KiB: nothing more to do here.
    batchFull: () => undefined,
    // Unref'd: it keeps nothing alive (the exit drains what is left).
    drainSoon: () => {
      if (soon) return;
      soon = true;
      setImmediate(drainNow).unref();
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
