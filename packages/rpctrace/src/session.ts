/**
 * A trace session: the tracer plus the chosen output style, still sans-IO.
 * feed(event) gives the text to write; finish() the rest (the held call, and
 * with -c the summary table, which replaces the per-call output as in strace).
 */
import type { Abi, CompiledInterface, MsgIdCatalog } from 'mach-msg';
import { parseFilter, type CallFilter } from './filter.js';
import type { RoutineStats, TraceEvent, TraceRecord } from './records.js';
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
}

export class TraceSession {
  readonly #tracer: RpcTracer;
  readonly #lines: LineRenderer;
  readonly #json: boolean;
  readonly #summary: boolean;
  readonly #strsize: number;

  constructor(options: TraceOptions = {}) {
    const filter = options.filter === undefined ? undefined : Array.isArray(options.filter) ? parseFilter(options.filter as readonly string[]) : (options.filter as CallFilter);
    const topts: ConstructorParameters<typeof RpcTracer>[0] = {};
    if (filter !== undefined) topts.filter = filter;
    if (options.interfaces !== undefined) topts.interfaces = options.interfaces;
    if (options.catalog !== undefined) topts.catalog = options.catalog;
    this.#tracer = new RpcTracer(topts);
    this.#strsize = options.strsize ?? DEFAULT_STRSIZE;
    this.#lines = new LineRenderer({ time: options.time ?? 'none', showLatency: options.showLatency ?? false, strsize: this.#strsize });
    this.#json = options.json ?? false;
    this.#summary = options.summary ?? false;
  }

  /** Text (whole lines, each ending in \n) for one event. */
  feed(ev: TraceEvent): string {
    return this.#text(this.#tracer.handle(ev));
  }

  /** Text at the end of the trace. */
  finish(): string {
    const rest = this.#text(this.#tracer.flush());
    return this.#summary ? rest + formatSummary(this.#tracer.summary()) : rest;
  }

  summary(): RoutineStats[] {
    return this.#tracer.summary();
  }

  #text(records: readonly TraceRecord[]): string {
    if (this.#summary) return '';
    let s = '';
    for (const r of records) {
      if (this.#json) {
        if (r.type === 'message') s += JSON.stringify(messageJson(r, this.#strsize)) + '\n';
      } else {
        const line = this.#lines.render(r);
        if (line !== null) s += line + '\n';
      }
    }
    return s;
  }
}
