/**
 * A trace session: the tracer plus the chosen output style, still sans-IO.
 * feed(event) gives the text to write; finish() the rest (the held call, and
 * with -c the summary table, which replaces the per-call output as in strace).
 */
import type { Abi, CompiledInterface, MsgIdCatalog } from 'mach-msg';
import { callFilterOf, type CallFilter } from './filter.js';
import { breaksLine, type LineBuffer } from './line-buffer.js';
import type { Call, RoutineStats, TraceEvent, TraceRecord } from './records.js';
import { DEFAULT_STRSIZE, LineRenderer, formatSummary, messageJson, type TimeStyle } from './render.js';
import { RpcTracer } from './tracer.js';

export interface TraceOptions {
  /** `-e` expressions (`trace=io_read,%fs`, `status=failed`), or a parsed filter. */
  filter?: readonly string[] | CallFilter;
  /** -t / -tt / -ttt / -r. */
  time?: TimeStyle;
  /** -T. */
  showLatency?: boolean;
  /** -s (default 80). */
  strsize?: number;
  /** --json: one JSON object per message instead of lines. */
  json?: boolean;
  /** -c: only the summary table, at the end. */
  summary?: boolean;
  /** Users' compiled interfaces per ABI (-I/--defs). */
  interfaces?: (abi: Abi) => readonly CompiledInterface[];
  /** Users' msgids (-i). */
  catalog?: MsgIdCatalog;
  /** -y: show what a port is (the file behind an io port, memory objects) after its name. */
  decorate?: boolean;
  /** How a port name of a task's space prints (link identities); default the number. */
  portName?: (task: number, name: number) => string;
  /**
   * --json prints only receives: a link's crossing is one send and one
   * receive of the same message, and the receive carries the latency.
   */
  jsonReceivesOnly?: boolean;
}

export class TraceSession {
  readonly #tracer: RpcTracer;
  readonly #lines: LineRenderer;
  readonly #json: boolean;
  readonly #summary: boolean;
  readonly #strsize: number;
  readonly #portName: ((task: number, name: number) => string) | undefined;
  /** JSON keeps names as the data they are (numbers, or link identities): no -y text. */
  readonly #jsonPortName: ((task: number, name: number) => string) | undefined;
  readonly #receivesOnly: boolean;
  /** feed()'s records, one array for every event (most events complete none). */
  readonly #recs: TraceRecord[] = [];

  constructor(options: TraceOptions = {}) {
    const filter = callFilterOf(options.filter);
    const topts: ConstructorParameters<typeof RpcTracer>[0] = {};
    if (filter !== undefined) topts.filter = filter;
    if (options.interfaces !== undefined) topts.interfaces = options.interfaces;
    if (options.catalog !== undefined) topts.catalog = options.catalog;
    if (options.decorate === true) topts.decorate = true;
    // -c prints no arguments (and -y has nothing to show without lines).
    if (options.summary === true) {
      topts.args = false;
      // -c prints only the table: no records are built at all.
      topts.records = false;
    }
    if (options.json === true) topts.messageArgs = true;
    else topts.messages = false;
    // Lines: the held call a reply completes comes back without its record (feedInto renders it).
    if (options.json !== true && options.summary !== true) topts.direct = true;
    this.#tracer = new RpcTracer(topts);
    this.#strsize = options.strsize ?? DEFAULT_STRSIZE;
    const base = options.portName;
    this.#jsonPortName = base;
    const tracer = this.#tracer;
    this.#portName =
      options.decorate !== true
        ? base
        : (task, name) => {
            const n = base === undefined ? String(name) : base(task, name);
            const what = tracer.describePort(task, name);
            return what === undefined ? n : `${n} [${what}]`;
          };
    this.#receivesOnly = options.jsonReceivesOnly ?? false;
    this.#lines = new LineRenderer({
      time: options.time ?? 'none',
      showLatency: options.showLatency ?? false,
      strsize: this.#strsize,
      ...(this.#portName === undefined ? {} : { portName: this.#portName }),
      taskName: (task) => tracer.taskName(task),
    });
    this.#json = options.json === true;
    this.#summary = options.summary === true;
  }

  /** Text (whole lines, each ending in \n) for one event. */
  feed(ev: TraceEvent): string {
    const recs = this.#recs;
    // Emptied even when the tracer or the rendering throws: the next event must not print this one's records.
    try {
      const done = this.#tracer.handleInto(ev, recs);
      if (done !== null) recs.push({ type: 'call', state: 'complete', call: done });
      return recs.length === 0 ? '' : this.#text(recs);
    } finally {
      // pop(), not `length = 0`: V8 sets an array's length through a runtime call and gives its store back, so
      // every RPC's push grew it again (both seen in a storm's instruction profile); pop keeps the store.
      while (recs.length !== 0) recs.pop();
    }
  }

  /**
   * feed(ev)'s text, in UTF-8, appended to `out` (the command's path: its
   * lines go to the file as bytes, not strings: line-buffer.ts).
   */
  feedInto(ev: TraceEvent, out: LineBuffer): void {
    const recs = this.#recs;
    // Most events complete no record: they return before any `finally` (its pending-message save and
    // restore and its dispatch ran on every record of a storm). A throw still leaves recs empty.
    let done: Call | null;
    try {
      done = this.#tracer.handleInto(ev, recs);
    } catch (e) {
      while (recs.length !== 0) recs.pop();
      throw e;
    }
    if (recs.length === 0) {
      // A storm's line: the held call its reply completed, no record built (RpcTracerOptions.direct).
      if (done !== null) this.#lines.renderCallInto(done, out);
      return;
    }
    try {
      if (this.#summary === true) return;
      if (this.#json === true) {
        out.text(this.#text(recs));
        return;
      }
      for (let i = 0; i < recs.length; i++) this.#lines.renderLineInto(recs[i] as TraceRecord, out);
      if (done !== null) this.#lines.renderCallInto(done, out);
    } finally {
      while (recs.length !== 0) recs.pop();
    }
  }

  /**
   * feedInto's lines, each after `tag`'s bytes (the command's `[pid N] `
   * with -f, `kN ` for a second kernel): the same bytes as
   * `retag(feed(ev))` (cli/consume.ts's tag: the tag before every line
   * that is not empty), without a string per line. A line the tag cannot
   * simply go before (one with a newline inside, or empty: a task name
   * may hold anything) takes `retag` on its text.
   */
  feedTaggedInto(ev: TraceEvent, out: LineBuffer, tag: Uint8Array, retag: (text: string) => string): void {
    const recs = this.#recs;
    // As feedInto: no `finally` run for an event that completes no record.
    try {
      // -f's lines take the tag's path below: a returned call gets its record.
      const done = this.#tracer.handleInto(ev, recs);
      if (done !== null) recs.push({ type: 'call', state: 'complete', call: done });
    } catch (e) {
      while (recs.length !== 0) recs.pop();
      throw e;
    }
    if (recs.length === 0) return;
    try {
      if (this.#summary === true) return;
      if (this.#json === true) {
        out.text(retag(this.#text(recs)));
        return;
      }
      for (let i = 0; i < recs.length; i++) {
        const r = recs[i] as TraceRecord;
        const from = out.length;
        out.put(tag);
        const at = out.length;
        let plain: boolean;
        try {
          plain = this.#lines.renderLineInto(r, out);
        } catch (e) {
          // No tag left alone in the output.
          out.length = from;
          throw e;
        }
        const end = out.length;
        // Nothing rendered (a message record): no tag either. A line the renderer vouches for (a kept
        // text, checked once) is not scanned again: a storm's lines were each scanned byte by byte.
        if (end === at) out.length = from;
        else if (!plain && (end === at + 1 || breaksLine(out.bytes, at, end - 1))) {
          out.length = from;
          out.text(retag(this.#lines.renderLine(r)));
        }
      }
    } finally {
      while (recs.length !== 0) recs.pop();
    }
  }

  /** Text at the end of the trace. */
  finish(): string {
    const rest = this.#text(this.#tracer.flush());
    return this.#summary ? rest + formatSummary(this.#tracer.summary()) : rest;
  }

  /**
   * -ff: feed()'s text cut per task, in order: each line (or JSON object)
   * with the task it belongs to (a call's and its resumption's: the
   * caller; any other message's: its task, 0 for the kernel).
   */
  feedByTask(ev: TraceEvent): { task: number; text: string }[] {
    return this.#byTask(this.#tracer.handle(ev));
  }

  /** finish()'s lines per task (-c, which prints no lines, does not go with -ff). */
  finishByTask(): { task: number; text: string }[] {
    return this.#byTask(this.#tracer.flush());
  }

  summary(): RoutineStats[] {
    return this.#tracer.summary();
  }

  #byTask(records: readonly TraceRecord[]): { task: number; text: string }[] {
    const out: { task: number; text: string }[] = [];
    for (const r of records) {
      const text = this.#text([r]);
      if (text === '') continue;
      out.push({ task: r.type === 'message' ? r.event.task : r.type === 'lone' ? r.message.task : r.call.task, text });
    }
    return out;
  }

  #text(records: readonly TraceRecord[]): string {
    if (this.#summary) return '';
    let s = '';
    for (const r of records) {
      if (this.#json) {
        if (r.type === 'message' && !(this.#receivesOnly && r.event.direction !== 'receive')) {
          s += JSON.stringify(messageJson(r, this.#strsize, this.#jsonPortName, (t) => this.#tracer.taskName(t))) + '\n';
        }
      } else {
        s += this.#lines.renderLine(r);
      }
    }
    return s;
  }
}
