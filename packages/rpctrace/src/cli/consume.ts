/**
 * The command's tracer side: the records of the traced program's streams
 * (the trace pipe, or with -f each process's socket stream) cut and fed to
 * a TraceSession per (stream, kernel), their text written in order.
 *
 * A module of its own, loaded by run.ts once the program is started: it
 * brings the decoder and mach-msg (the interfaces, the catalog), whose
 * loading would otherwise come before the program's start; with a second
 * CPU the program now starts while they load. The built command loads it
 * from its own file (dist/cli-consume.js), with its own copy of the
 * package's small modules: it keeps its records, readers and sessions to
 * itself, and what it throws is told apart by isRpcTraceError, which knows
 * every copy of RpcTraceError.
 */
import { isRpcTraceError } from '../errors.js';
import { LineBuffer } from '../line-buffer.js';
import { messagePacket } from '../pcap.js';
import { TraceSession, type TraceOptions } from '../session.js';
import { loadUserDefs } from '../user-defs.js';
import { WIRE_HEADER_BYTES } from '../wire.js';
import { WireEventReader, type WireEvent } from '../wire-reader.js';
import type { CliOptions } from './args.js';
import type { PerTaskFiles } from './per-task.js';

/** The session options the command line gives. */
export function sessionOptions(o: CliOptions): TraceOptions {
  const user = o.defs.length + o.includeDirs.length + o.msgids.length > 0 ? loadUserDefs({ defs: o.defs, includeDirs: o.includeDirs, msgids: o.msgids }) : undefined;
  return {
    filter: o.filter,
    time: o.time,
    showLatency: o.showLatency,
    strsize: o.strsize,
    json: o.json,
    summary: o.summary,
    decorate: o.decorate,
    ...(user === undefined ? {} : { interfaces: user.interfaces, ...(user.catalog === undefined ? {} : { catalog: user.catalog }) }),
  };
}

/** One stream of records: the pipe of the program (stream 0 without -f), or a process's socket stream with -f. */
interface Stream {
  reader: WireEventReader;
  /** `[pid N] ` with -f, else ''. */
  prefix: string;
  /** The process's pid with -f (for -ff's file names), else null. */
  pid: number | null;
  /** Why this stream stopped being read (a bad record): the others go on. */
  bad: string | null;
  /** The session of the kernel of this stream that spoke last (a storm is one kernel's). */
  last: TraceSession | null;
  lastKernel: number;
  /** That kernel's lines' tag (tag()'s prefix) in UTF-8: `[pid N] ` with -f, `kN ` for a second kernel. */
  lastTag: Uint8Array;
  /** tag() for that kernel, made when it changes (not a closure per event: the storm's four per RPC). */
  lastRetag: (text: string) => string;
  /** Kernel 1's session once it spoke (eachInto's: its records fed with no callback). */
  first: TraceSession | null;
  /** Kernel 1's tag (tagOf: `[pid N] ` with -f) in UTF-8, and tag() for it. */
  firstTag: Uint8Array;
  firstRetag: (text: string) => string;
}

const utf8 = new TextEncoder();

export interface ConsumerOutput {
  /** The trace's text (lines, or -c's tables at the end). */
  write: (s: string) => void;
  /**
   * The trace's text as UTF-8 bytes (a chunk's lines), when the output
   * takes bytes: read (written or copied) before it returns, the buffer is
   * reused. Without it the lines go to `write` as text.
   */
  writeBytes?: (b: Uint8Array) => void;
  /** -ff: the files per task (then nothing goes to `write` but at the end). */
  perTask: PerTaskFiles | null;
  /** --pcap: the packet writer. */
  pcap: ((packet: Uint8Array | null) => void) | undefined;
}

export class TraceConsumer {
  readonly #base: TraceOptions;
  readonly #summary: boolean;
  readonly #out: ConsumerOutput;
  readonly #streams = new Map<number, Stream>();
  /** Sessions per (stream, kernel), in the order they first spoke. */
  readonly #sessions = new Map<string, { stream: Stream; kernel: number; session: TraceSession }>();
  /** A chunk's lines, as bytes (TraceSession.feedInto), written once per chunk. */
  readonly #lines = new LineBuffer();

  /** `base`: sessionOptions' (checked before the program started). */
  constructor(base: TraceOptions, summary: boolean, out: ConsumerOutput) {
    this.#base = base;
    this.#summary = summary;
    this.#out = out;
  }

  /** Records from stream `id` (0: the pipe; with -f, process `pid`'s socket stream). */
  feed(id: number, pid: number | null, chunk: Uint8Array): void {
    let st = this.#streams.get(id);
    if (st === undefined) this.#streams.set(id, (st = this.#newStream(pid)));
    if (st.bad !== null) return;
    const { pcap, perTask } = this.#out;
    // A chunk's text is gathered and written once (in order, whichever kernel it is from).
    const lines = this.#lines;
    const visit = (kernel: number, event: WireEvent): void => {
      pcap?.(messagePacket(event));
      let session = st.last;
      if (session === null || st.lastKernel !== kernel) {
        session = st.last = this.#sessionOf(st, id, kernel);
        st.lastKernel = kernel;
        st.lastTag = utf8.encode(tagOf(st, kernel));
        const k = kernel;
        st.lastRetag = (t) => tag(st, k, t);
        if (kernel === 1) st.first = session;
      }
      if (perTask !== null) {
        perTask.write(st.pid, kernel, session.feedByTask(event));
        return;
      }
      if (kernel === 1 && st.prefix === '') {
        session.feedInto(event, lines);
        return;
      }
      // -f, or a second kernel: the lines as bytes too, each after its tag.
      session.feedTaggedInto(event, lines, st.lastTag, st.lastRetag);
    };
    try {
      // `-o FILE -- node app.js`: kernel 1's records (once it spoke) go straight to its session; the rest to visit.
      if (pcap === undefined && perTask === null) {
        // Kernel 1's session made as its first record comes (as visit would), so the trace's first chunk takes this path too.
        if (st.first === null && st.reader.pending === 0 && chunk.length >= WIRE_HEADER_BYTES && kernelOf(chunk) === 1) st.first = this.#sessionOf(st, id, 1);
        // -f: each line after the stream's `[pid N] ` (kernel 1's tag: tagOf).
        if (st.prefix === '') st.reader.eachInto(chunk, 1, st.first, lines, visit);
        else st.reader.eachInto(chunk, 1, st.first, lines, visit, st.firstTag, st.firstRetag);
      }
      else st.reader.each(chunk, visit);
    } catch (e) {
      if (!isRpcTraceError(e)) throw e;
      st.bad = e.message;
    } finally {
      if (lines.length !== 0) {
        const { write, writeBytes } = this.#out;
        const text = writeBytes === undefined ? lines.toString() : null;
        const n = lines.length;
        lines.length = 0;
        if (text === null) (writeBytes as (b: Uint8Array) => void)(lines.bytes.subarray(0, n));
        else write(text);
      }
    }
  }

  /**
   * Every stream has ended: the sessions' ends (the -c tables, calls never
   * answered) are written. Returns what to say of streams that stopped on a
   * bad record, one line each (`[pid N] ` first with -f).
   */
  finish(): string[] {
    for (const st of this.#streams.values()) {
      if (st.bad === null && st.reader.pending > 0) st.bad = `bad trace record from the traced program: ${st.reader.pending} bytes of a record cut short`;
    }
    const several = this.#sessions.size > 1;
    const { write, perTask } = this.#out;
    for (const { stream, kernel, session } of this.#sessions.values()) {
      if (perTask !== null) {
        perTask.write(stream.pid, kernel, session.finishByTask());
        continue;
      }
      const rest = session.finish();
      write(this.#summary && several ? `${stream.prefix === '' ? '' : `${stream.prefix.slice(1, -2)} `}kernel ${kernel}:\n${rest}` : tag(stream, kernel, rest));
    }
    const bad: string[] = [];
    for (const st of this.#streams.values()) if (st.bad !== null) bad.push(`${st.prefix}${st.bad}`);
    return bad;
  }

  #newStream(pid: number | null): Stream {
    const prefix = pid === null ? '' : `[pid ${pid}] `;
    const st: Stream = { reader: new WireEventReader(), prefix, pid, bad: null, last: null, lastKernel: 0, lastTag: EMPTY, lastRetag: untagged, first: null, firstTag: utf8.encode(prefix), firstRetag: untagged };
    st.firstRetag = (t) => tag(st, 1, t);
    return st;
  }

  #sessionOf(st: Stream, id: number, k: number): TraceSession {
    const key = `${id}:${k}`;
    let s = this.#sessions.get(key);
    if (s === undefined) this.#sessions.set(key, (s = { stream: st, kernel: k, session: new TraceSession(this.#base) }));
    return s.session;
  }
}

/** Lines of a second, third... kernel of a process say which kernel they are from; with -f, which process. */
function tag(st: Stream, k: number, text: string): string {
  const p = tagOf(st, k);
  return p === '' || text === '' ? text : text.replace(/^(?=.)/gm, p);
}

/** What goes before each line of kernel `k` of stream `st`. */
function tagOf(st: Stream, k: number): string {
  return st.prefix + (k === 1 ? '' : `k${k} `);
}

const EMPTY = new Uint8Array(0);
/** The kernel number of the record at `chunk`'s start (wire.ts: a u32 at offset 8). */
const kernelOf = (chunk: Uint8Array): number => new DataView(chunk.buffer, chunk.byteOffset, 12).getUint32(8, true);
const untagged = (text: string): string => text;
