/**
 * The command's tracer side for `-c` counted in the traced program
 * (summary-tap.ts): each stream (the pipe, or with -f each process's
 * socket stream) carries snapshots of its process's tables; the last one
 * of each process is its table. At the end the tables print as
 * TraceConsumer prints them from message records: one table, or with
 * several (processes or kernels) one per process and kernel under
 * `pid N kernel K:`, in the order the kernels first had a message.
 *
 * A module of its own (dist/cli-summary.js): it needs neither the decoder
 * nor mach-msg's interfaces, which the command then never loads.
 */
import { isRpcTraceError } from '../errors.js';
import { formatSummary } from '../summary-table.js';
import { SnapshotReader, type SummarySnapshot } from '../summary-wire.js';

interface Stream {
  reader: SnapshotReader;
  /** `[pid N] ` with -f, else ''. */
  prefix: string;
  /** The stream's order of arrival (ties of `first` times keep it). */
  order: number;
  last: SummarySnapshot | null;
  /** Why this stream stopped being read (a bad record), or why the program stopped counting. */
  bad: string | null;
}

export class SummaryConsumer {
  readonly #write: (s: string) => void;
  readonly #streams = new Map<number, Stream>();

  constructor(write: (s: string) => void) {
    this.#write = write;
  }

  /** Bytes from stream `id` (0: the pipe; with -f, process `pid`'s socket stream). */
  feed(id: number, pid: number | null, chunk: Uint8Array): void {
    let st = this.#streams.get(id);
    if (st === undefined) this.#streams.set(id, (st = { reader: new SnapshotReader(), prefix: pid === null ? '' : `[pid ${pid}] `, order: this.#streams.size, last: null, bad: null }));
    if (st.bad !== null) return;
    try {
      const snaps = st.reader.push(chunk);
      if (snaps.length > 0) st.last = snaps[snaps.length - 1] as SummarySnapshot;
    } catch (e) {
      if (!isRpcTraceError(e)) throw e;
      st.bad = e.message;
    }
  }

  /** Every stream has ended: the tables are written; returns what to say of streams that stopped, one line each. */
  finish(): string[] {
    const tables: { st: Stream; kernel: number; first: number; text: string }[] = [];
    for (const st of this.#streams.values()) {
      if (st.bad === null && st.reader.pending > 0) st.bad = `bad summary record from the traced program: ${st.reader.pending} bytes of a record cut short`;
      if (st.last === null) continue;
      if (st.bad === null && st.last.bad !== undefined) st.bad = st.last.bad;
      for (const k of st.last.kernels) tables.push({ st, kernel: k.kernel, first: k.first, text: formatSummary(k.stats) });
    }
    // Stable: a stream's kernels keep their order, and ties keep the streams' arrival order.
    tables.sort((a, b) => a.first - b.first || a.st.order - b.st.order);
    const several = tables.length > 1;
    let text = '';
    for (const { st, kernel, text: rest } of tables) {
      text += several ? `${st.prefix === '' ? '' : `${st.prefix.slice(1, -2)} `}kernel ${kernel}:\n${rest}` : tag(st.prefix, kernel, rest);
    }
    this.#write(text);
    const bad: string[] = [];
    for (const st of this.#streams.values()) if (st.bad !== null) bad.push(`${st.prefix}${st.bad}`);
    return bad;
  }
}

/** As TraceConsumer's (consume.ts): the lines of a second, third... kernel, or with -f of a process, say which. */
function tag(prefix: string, k: number, text: string): string {
  const p = prefix + (k === 1 ? '' : `k${k} `);
  return p === '' || text === '' ? text : text.replace(/^(?=.)/gm, p);
}
