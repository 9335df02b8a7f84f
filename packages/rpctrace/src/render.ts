/**
 * Turns tracer records into text: strace-style lines, one JSON object per
 * message, and the -c summary table. Pure: the caller writes the strings.
 */
import type { MigArgs } from 'mach-msg';
import { codeName } from './errno.js';
import { RpcTraceError } from './errors.js';
import { breaksLine, PAIRS, type LineBuffer } from './line-buffer.js';
import type { Call, LinkEnds, LoneMessage, MessageRecord, ReplyInfo, RoutineStats, TraceRecord } from './records.js';
import { formatArg, rightWord, valueToJson, type Json } from './values.js';

/** -t (time of day), -tt (with microseconds), -ttt (epoch seconds), -r (since the previous line). */
export type TimeStyle = 'none' | 't' | 'tt' | 'ttt' | 'r';

export interface RenderOptions {
  time?: TimeStyle;
  /** -T: show the request-to-reply time. */
  showLatency?: boolean;
  /** -s: longest string printed (default 80, rpctrace's). */
  strsize?: number;
  /**
   * How a port name of `task`'s space prints (default: the number). -y
   * decorates names with what they are; a link trace prints identities.
   */
  portName?: (task: number, name: number) => string;
  /** A task's name, when known (taskCreate's): lines say `ext2fs[3]` instead of `task3`. */
  taskName?: (task: number) => string | undefined;
}

type PortNamer = ((task: number, name: number) => string) | undefined;

export const DEFAULT_STRSIZE = 80;

const utf8 = new TextEncoder();
const NO_BYTES = new Uint8Array(0);

/** `kernel`, `name[3]` for a named task, else `task3`. */
export function taskLabel(task: number, name?: string): string {
  if (task === 0) return 'kernel';
  return name === undefined ? `task${task}` : `${name}[${task}]`;
}

/** The arguments as `name: value, ...` ('' for none). */
function args(a: MigArgs | null, sizes: ReadonlyMap<string, number>, strsize: number, task: number, namer: PortNamer): string {
  if (a === null) return '';
  const portName = namer === undefined ? undefined : (n: number): string => namer(task, n);
  // Object.keys is Object.entries' order, without an array per argument (a line per RPC in a storm).
  let out = '';
  for (const k of Object.keys(a)) {
    if (out !== '') out += ', ';
    out += k + ': ' + formatArg(a[k] as MigArgs[string], strsize, sizes, k, portName);
  }
  return out;
}

/**
 * Spaces that pad a seqno of 1-4 digits to 5, none for 5-10 (a u32 has at
 * most 10): padStart without its allocations, a line per RPC. One table
 * lookup for every length, not a branch on it: a branch first taken at
 * seqno 10000, some 40,000 records into a storm, threw the renderer's
 * optimised code away (V8: insufficient type feedback) to be compiled again.
 */
const SEQ_PAD = ['', '    ', '   ', '  ', ' ', '', '', '', '', '', ''];

function seqPrefix(seqno: number | null, link: LinkEnds | undefined): string {
  // A link has no msgh_seqno: the receiving task's kernel assigns it later.
  if (link !== undefined) return '';
  if (seqno === null) return '[    ?] ';
  const t = String(seqno);
  return '[' + (SEQ_PAD[t.length] as string) + t + '] ';
}

/** Line renderer with the state -r needs (the previous line's time). */
export class LineRenderer {
  readonly #time: TimeStyle;
  readonly #latency: boolean;
  readonly #strsize: number;
  readonly #portName: PortNamer;
  readonly #taskName: ((task: number) => string | undefined) | undefined;
  #last: number | null = null;
  /**
   * The text of the last two argument objects printed without a port
   * namer: the decoder hands the same object for the same body (its memo,
   * decoder.ts), so a storm's request and reply print from here. The text
   * is a function of the object (and of strsize, fixed here) alone.
   */
  #memoA0: MigArgs | null = null;
  #memoT0 = '';
  #memoA1: MigArgs | null = null;
  #memoT1 = '';
  /**
   * The last request text (#request) and what it was made of, when names
   * print as numbers and no link is involved: a storm repeats one request
   * from one task, and the text is a function of exactly these fields (the
   * task's name included: it can change while tracing). Likewise the last
   * reply text (#reply, without -T). A text is made when first asked for
   * (null: not yet for these fields): renderLineInto writes a new line's
   * bytes without it. Each memo's generation counts its changes of fields.
   */
  #rqTask = -1;
  #rqName: string | undefined = undefined;
  #rqSpace = -1;
  #rqRoutine = '';
  #rqArgs: MigArgs | null = null;
  #rqSizes: ReadonlyMap<string, number> | null = null;
  #rqNote: string | null = null;
  #rqDestArg: string | null = null;
  #rqDestName = -1;
  #rqDestDisp: number | undefined = undefined;
  #rqText: string | null = null;
  #rqGen = 0;
  #rpRet: number | null = null;
  #rpArgs: MigArgs | null = null;
  #rpSizes: ReadonlyMap<string, number> | null = null;
  #rpNote: string | null = null;
  #rpText: string | null = null;
  #rpSet = false;
  #rpGen = 0;
  /**
   * renderLineInto's last line written from the two memos (their
   * generations; -1: none) and, once it is written again, its text after
   * the seqno prefix in UTF-8, and whether those bytes hold no line start
   * before their newline (breaksLine; null: not checked yet).
   */
  #keptRqGen = -1;
  #keptRpGen = -1;
  #keptBytes: Uint8Array | null = null;
  #keptPlain: boolean | null = null;
  /**
   * #newCallLineInto's ` -> routine(dest: right ` piece, a function of the
   * routine, the destination's argument name and its disposition alone,
   * for the last two such triples: their bytes as first written, copied
   * from then on by one `put`. On a storm whose RPCs all differ (two
   * routines in turn) that piece was seven str calls, ~1,900 instructions
   * a line (str: ~80 a call and ~40 a character; put: ~380).
   */
  #headRoutine0: string | null = null;
  #headArg0: string | null = null;
  #headDisp0: number | undefined = undefined;
  #headBytes0: Uint8Array = NO_BYTES;
  #headRoutine1: string | null = null;
  #headArg1: string | null = null;
  #headDisp1: number | undefined = undefined;
  #headBytes1: Uint8Array = NO_BYTES;
  /** renderLine's last request and reply text, and the two with the newline. */
  #tailRq = '';
  #tailRp = '';
  /** The two with the newline, once joined (null: not yet, for these two). */
  #tail: string | null = '\n';
  /** #tail in UTF-8, made when renderLineInto's string path first needs it (null: not yet, for this #tail). */
  #tailBytes: Uint8Array | null = null;
  /** Whether #tailBytes hold no line start before their newline (breaksLine; null: not checked yet, for these bytes). */
  #tailPlain: boolean | null = null;

  constructor(options: RenderOptions = {}) {
    this.#time = options.time ?? 'none';
    this.#latency = options.showLatency === true;
    this.#strsize = options.strsize ?? DEFAULT_STRSIZE;
    this.#portName = options.portName;
    this.#taskName = options.taskName;
    if (!Number.isInteger(this.#strsize) || this.#strsize < 0) {
      throw new RpcTraceError('invalid_option', `-s wants a non-negative integer, got ${String(options.strsize)}`);
    }
  }

  /** The line for a record, or null for records lines do not show (`message`). */
  render(r: TraceRecord): string | null {
    switch (r.type) {
      case 'message':
        return null;
      case 'call': {
        const head = this.#stamp(r.call.time) + seqPrefix(r.call.seqno, r.call.link) + this.#request(r.call);
        if (r.state === 'oneway') return head + ';';
        if (r.state === 'unfinished') return head + ' <unfinished ...>';
        const x = r.call.destroyed;
        if (x !== undefined) return head + (x.what === 'request' ? ` <destroyed: ${x.why}>` : ` <reply destroyed: ${x.why}>`);
        return head + this.#reply(r.call);
      }
      case 'resumed': {
        const x = r.call.destroyed;
        const who = `${this.#sender(r.call.task, r.call.link)} <... ${r.call.routine}`;
        if (x !== undefined) {
          // The call ended unanswered: the kernel destroyed its request or reply.
          return this.#stamp(x.time) + seqPrefix(r.call.seqno, r.call.link) + `${who} ${x.what === 'request' ? '' : 'reply '}destroyed: ${x.why}>`;
        }
        return this.#stamp(r.call.reply?.time ?? r.call.time) + seqPrefix(r.call.seqno, r.call.link) + `${who} resumed>` + this.#reply(r.call);
      }
      case 'lone':
        return this.#stamp(r.message.time) + seqPrefix(r.message.seqno, r.message.link) + this.#lone(r.message);
    }
  }

  /**
   * render()'s line with its newline, '' for a record lines do not show
   * (what a trace writes). A call's request and reply text, each already
   * the renderer's memo in a storm, come with the newline as one string
   * kept from the last line when both are the same strings: a line is then
   * its prefix and that, not four pieces joined per RPC.
   */
  renderLine(r: TraceRecord): string {
    if (r.type === 'call' && r.state === 'complete' && r.call.destroyed === undefined) {
      const c = r.call;
      return this.#stamp(c.time) + seqPrefix(c.seqno, c.link) + this.#keptTail(c);
    }
    const line = this.render(r);
    return line === null ? '' : line + '\n';
  }

  /** A complete call's request and reply text with its newline, kept (with its bytes) while both stay the same strings. */
  #keptTail(c: Call): string {
    const rq = this.#request(c);
    const rp = this.#reply(c);
    if (rq !== this.#tailRq || rp !== this.#tailRp) {
      this.#tailRq = rq;
      this.#tailRp = rp;
      this.#tail = null;
      this.#tailBytes = null;
      this.#tailPlain = null;
    }
    // Joined when first asked for (renderLineInto writes a new line's two texts without it).
    return (this.#tail ??= rq + rp + '\n');
  }

  /**
   * renderLine(r)'s text, in UTF-8, appended to `out`. A complete call
   * without a time stamp (a storm's line) is its seqno prefix's bytes and
   * the kept request-and-reply text's bytes, encoded once while the text
   * stays the same; any other line is renderLine's string, encoded.
   * True when what was written is known to be one line with nothing that
   * starts a line before its newline (a kept text's bytes, checked once
   * while kept: a tag may then simply go before it); false when not known.
   */
  renderLineInto(r: TraceRecord, out: LineBuffer): boolean {
    if (this.#time === 'none' && r.type === 'call' && r.state === 'complete' && r.call.destroyed === undefined && r.call.link === undefined) {
      const c = r.call;
      const reply = c.reply;
      if (this.#portName === undefined && this.#latency === false && c.dest !== null && reply !== null) return this.#callLineInto(c, reply, out);
      return this.#completeLineInto(c, out);
    }
    out.text(this.renderLine(r));
    return false;
  }

  /** renderLineInto of a complete call, without its record (RpcTracerOptions.direct: TraceSession's lines). */
  renderCallInto(c: Call, out: LineBuffer): boolean {
    if (this.#time === 'none' && c.destroyed === undefined && c.link === undefined) {
      const reply = c.reply;
      if (this.#portName === undefined && this.#latency === false && c.dest !== null && reply !== null) return this.#callLineInto(c, reply, out);
      return this.#completeLineInto(c, out);
    }
    out.text(this.renderLine({ type: 'call', state: 'complete', call: c }));
    return false;
  }

  /**
   * renderLineInto for a complete call the memos do not serve (-y, -T, no
   * destination): a method of its own, as renderLineInto's rarer path (V8
   * optimises a function after a number of runs that grows with its
   * bytecode's length, and inlines only short ones).
   */
  #completeLineInto(c: Call, out: LineBuffer): boolean {
    const rq = this.#request(c);
    const rp = this.#reply(c);
    out.seqno(c.seqno);
    if (rq === this.#tailRq && rp === this.#tailRp) {
      // The last line's text again: its bytes, encoded on this second use and kept while it stays.
      const kept = (this.#tailBytes ??= utf8.encode((this.#tail ??= rq + rp + '\n')));
      out.put(kept);
      // The seqno prefix holds digits, spaces, brackets, '?': only the kept text can break the line.
      return (this.#tailPlain ??= !breaksLine(kept, 0, kept.length - 1));
    }
    // A line unlike the last: its two texts encoded straight into the buffer. Encoding the joined
    // tail (a new Uint8Array, and the join flattened) per line was, on a storm whose RPCs all
    // differ, about a tenth of the record loop's time (encode and its garbage).
    this.#tailRq = rq;
    this.#tailRp = rp;
    this.#tail = null;
    this.#tailBytes = null;
    this.#tailPlain = null;
    out.text(rq);
    out.text(rp);
    out.newline();
    return false;
  }

  /**
   * renderLineInto for a complete call whose request and reply texts the
   * memos may hold (names as numbers, no -T, no link): the last line's
   * bytes again when both memos still hold that line's fields, else the
   * line written as bytes straight into `out`, piece by piece (the same
   * bytes as its text: #requestText, #replyText), with no string made of
   * the line, its request or its reply. On a storm whose RPCs all differ
   * the strings' joins, their flattening and their UTF-8 encoding were
   * about a tenth of the record loop's instructions.
   */
  #callLineInto(c: Call, reply: ReplyInfo, out: LineBuffer): boolean {
    const space = c.task === 0 ? (c.receiver ?? 0) : c.task;
    const name = c.task === 0 || this.#taskName === undefined ? undefined : this.#taskName(c.task);
    const rqSame = this.#sameRequest(c, space, name);
    // #sameReply's test, written here: a method under 81 bytes of bytecode is optimised at its first
    // tick (V8's "small function"), before this method, which then inlined it again (2.31M of TurboFan).
    const rpSame = this.#rpSet === true && reply.retCode === this.#rpRet && reply.args === this.#rpArgs && reply.elementBytes === this.#rpSizes && reply.note === this.#rpNote;
    const seqno = c.seqno;
    if (seqno === null) out.seqno(null);
    else {
      // LineBuffer.seqno's prefix of a number, written here rather than called: the call's loops
      // charged seqno's own tick budget faster than this method's, so V8 optimised seqno alone
      // (14.45M instructions of TurboFan at 100,000 RPCs) before this method's compile inlined it
      // again (V8 marks a function after 3 + bytecode length / 150 ticks of its own bytecode:
      // BENCHMARKS.md, 2026-12-01 01:10 section). Here its loops' ticks are this method's.
      out.room(13);
      const b = out.bytes;
      let at = out.length;
      b[at++] = 0x5b; // [
      const x = seqno >>> 0;
      let digits = 1;
      let y = x;
      for (; y >= 100; y = (y / 100) >>> 0) digits += 2;
      if (y >= 10) digits++;
      for (let i = digits; i < 5; i++) b[at++] = 0x20;
      at += digits;
      let i = at - 1;
      y = x;
      while (y >= 100) {
        const q = (y / 100) >>> 0;
        const r = (y - q * 100) << 1;
        b[i] = PAIRS[r + 1] as number;
        b[i - 1] = PAIRS[r] as number;
        i -= 2;
        y = q;
      }
      if (y >= 10) {
        b[i] = PAIRS[(y << 1) + 1] as number;
        b[i - 1] = PAIRS[y << 1] as number;
      } else b[i] = 0x30 + y;
      b[at++] = 0x5d; // ]
      b[at++] = 0x20;
      out.length = at;
    }
    if (rqSame && rpSame && this.#rqGen === this.#keptRqGen && this.#rpGen === this.#keptRpGen) {
      // The last line's text again: its bytes, encoded on this second use and kept while it stays.
      const kept = (this.#keptBytes ??= utf8.encode(this.#request(c) + this.#reply(c) + '\n'));
      out.put(kept);
      // The seqno prefix holds digits, spaces, brackets, '?': only the kept text can break the line.
      return (this.#keptPlain ??= !breaksLine(kept, 0, kept.length - 1));
    }
    if (!rqSame) this.#rememberRequest(c, space, name);
    if (!rpSame) this.#rememberReply(reply);
    this.#keptRqGen = this.#rqGen;
    this.#keptRpGen = this.#rpGen;
    this.#keptBytes = null;
    this.#keptPlain = null;
    this.#newCallLineInto(c, reply, name, out);
    return false;
  }

  /**
   * #callLineInto's line unlike the last, after its seqno prefix: a method
   * of its own, so that #callLineInto holds only what every line runs (V8
   * optimises a function after a number of runs that grows with its
   * bytecode's length, and inlines only short ones: this writer made
   * #callLineInto three times longer, and a storm of one RPC runs it on its first line only).
   */
  #newCallLineInto(c: Call, reply: ReplyInfo, name: string | undefined, out: LineBuffer): void {
    // #requestText's pieces: `who -> routine(dest: right name, arg: value...) /* note */`.
    const dest = c.dest as NonNullable<Call['dest']>;
    if (c.task === 0) out.str('kernel');
    else if (name === undefined) {
      out.str('task');
      numberInto(c.task, out);
    } else {
      out.str(name);
      out.str('[');
      numberInto(c.task, out);
      out.str(']');
    }
    const routine = c.routine;
    const arg = dest.arg;
    const disp = dest.disposition;
    if (routine === this.#headRoutine0 && arg === this.#headArg0 && disp === this.#headDisp0) out.put(this.#headBytes0);
    else if (routine === this.#headRoutine1 && arg === this.#headArg1 && disp === this.#headDisp1) out.put(this.#headBytes1);
    else this.#newHeadInto(routine, arg, disp, out);
    numberInto(dest.name, out);
    const a = c.args;
    if (a !== null) {
      for (const k of Object.keys(a)) {
        out.str(', ');
        this.#argInto(k, a[k] as MigArgs[string], c.elementBytes, out);
      }
    }
    out.str(')');
    if (c.note !== null) noteInto(c.note, out);
    // #replyText's: ` = code (arg: value...) /* note */`.
    out.str(' = ');
    out.str(reply.retCode === null ? '?' : codeName(reply.retCode));
    const ra = reply.args;
    if (ra !== null) {
      let first = true;
      for (const k of Object.keys(ra)) {
        out.str(first ? ' (' : ', ');
        first = false;
        this.#argInto(k, ra[k] as MigArgs[string], reply.elementBytes, out);
      }
      if (!first) out.str(')');
    }
    if (reply.note !== null) noteInto(reply.note, out);
    out.newline();
  }

  /** #newCallLineInto's head piece for a triple in neither slot: written, and its bytes kept in the first slot (the first's go to the second). */
  #newHeadInto(routine: string, arg: string | null, disp: number | undefined, out: LineBuffer): void {
    const from = out.length;
    out.str(' -> ');
    out.str(routine);
    out.str('(');
    out.str(arg ?? 'dest');
    out.str(': ');
    out.str(rightWord(disp));
    out.str(' ');
    this.#headRoutine1 = this.#headRoutine0;
    this.#headArg1 = this.#headArg0;
    this.#headDisp1 = this.#headDisp0;
    this.#headBytes1 = this.#headBytes0;
    this.#headRoutine0 = routine;
    this.#headArg0 = arg;
    this.#headDisp0 = disp;
    // A copy (a Buffer's slice would be a view of bytes the buffer writes over).
    this.#headBytes0 = new Uint8Array(out.bytes.subarray(from, out.length));
  }

  /** args()'s `name: value` of one argument, as bytes (formatArg's text). */
  #argInto(k: string, v: MigArgs[string], sizes: ReadonlyMap<string, number>, out: LineBuffer): void {
    out.str(k);
    out.str(': ');
    if (typeof v === 'number') numberInto(v, out);
    else if (v instanceof Uint8Array) {
      out.decimal(v.length);
      out.str(' bytes ');
      out.quoted(v, this.#strsize);
    } else out.str(formatArg(v, this.#strsize, sizes, k, undefined));
  }

  /** Whether the request memo holds `c`'s fields (see #request). */
  #sameRequest(c: Call, space: number, name: string | undefined): boolean {
    const dest = c.dest as NonNullable<Call['dest']>;
    return (
      c.task === this.#rqTask &&
      name === this.#rqName &&
      space === this.#rqSpace &&
      c.routine === this.#rqRoutine &&
      c.args === this.#rqArgs &&
      c.elementBytes === this.#rqSizes &&
      c.note === this.#rqNote &&
      dest.arg === this.#rqDestArg &&
      dest.name === this.#rqDestName &&
      dest.disposition === this.#rqDestDisp
    );
  }

  /** The request memo now holds `c`'s fields, its text not made yet. */
  #rememberRequest(c: Call, space: number, name: string | undefined): void {
    const dest = c.dest as NonNullable<Call['dest']>;
    this.#rqTask = c.task;
    this.#rqName = name;
    this.#rqSpace = space;
    this.#rqRoutine = c.routine;
    this.#rqArgs = c.args;
    this.#rqSizes = c.elementBytes;
    this.#rqNote = c.note;
    this.#rqDestArg = dest.arg;
    this.#rqDestName = dest.name;
    this.#rqDestDisp = dest.disposition;
    this.#rqText = null;
    this.#rqGen++;
  }

  /** Whether the reply memo holds `r`'s fields (see #reply; #callLineInto tests the same itself). */
  #sameReply(r: ReplyInfo): boolean {
    return this.#rpSet === true && r.retCode === this.#rpRet && r.args === this.#rpArgs && r.elementBytes === this.#rpSizes && r.note === this.#rpNote;
  }

  #rememberReply(r: ReplyInfo): void {
    this.#rpRet = r.retCode;
    this.#rpArgs = r.args;
    this.#rpSizes = r.elementBytes;
    this.#rpNote = r.note;
    this.#rpSet = true;
    this.#rpText = null;
    this.#rpGen++;
  }

  /** Who sent a message: a task (by name when known), the kernel, or a node on a link. */
  #sender(task: number, link: LinkEnds | undefined): string {
    if (link !== undefined) return `node${link.from}`;
    return taskLabel(task, task === 0 || this.#taskName === undefined ? undefined : this.#taskName(task));
  }

  #stamp(ms: number): string {
    switch (this.#time) {
      case 'none':
        return '';
      case 'r': {
        const prev = this.#last ?? ms;
        this.#last = ms;
        return `${((ms - prev) / 1000).toFixed(6).padStart(12)} `;
      }
      case 'ttt':
        return `${(ms / 1000).toFixed(6)} `;
      case 't':
      case 'tt': {
        // UTC, so that a trace prints the same everywhere.
        const d = new Date(Math.floor(ms));
        const hms = d.toISOString().slice(11, 19);
        if (this.#time === 't') return hms + ' ';
        const us = Math.round((ms - Math.floor(ms / 1000) * 1000) * 1000);
        return `${hms}.${String(Math.min(us, 999999)).padStart(6, '0')} `;
      }
    }
  }

  /** args(), through the two-entry memo when names print as numbers. */
  #args(a: MigArgs | null, sizes: ReadonlyMap<string, number>, task: number): string {
    if (a === null) return '';
    if (this.#portName !== undefined) return args(a, sizes, this.#strsize, task, this.#portName);
    if (a === this.#memoA0) return this.#memoT0;
    if (a === this.#memoA1) return this.#memoT1;
    const t = args(a, sizes, this.#strsize, task, undefined);
    this.#memoA1 = this.#memoA0;
    this.#memoT1 = this.#memoT0;
    this.#memoA0 = a;
    this.#memoT0 = t;
    return t;
  }

  #request(c: Call): string {
    // A kernel-made request names its ports (destination and arguments) in the receiver's space.
    const space = c.task === 0 ? (c.receiver ?? 0) : c.task;
    if (this.#portName !== undefined || c.link !== undefined || c.dest === null) return this.#requestText(c, space);
    const name = c.task === 0 || this.#taskName === undefined ? undefined : this.#taskName(c.task);
    if (this.#sameRequest(c, space, name)) return (this.#rqText ??= this.#requestText(c, space));
    this.#rememberRequest(c, space, name);
    return (this.#rqText = this.#requestText(c, space));
  }

  #requestText(c: Call, space: number): string {
    let a = this.#args(c.args, c.elementBytes, space);
    if (c.dest !== null) {
      const name = this.#portName === undefined ? String(c.dest.name) : this.#portName(space, c.dest.name);
      const dest = `${c.dest.arg ?? 'dest'}: ${rightWord(c.dest.disposition)} ${name}`;
      a = a === '' ? dest : `${dest}, ${a}`;
    }
    const note = c.note === null ? '' : ` /* ${c.note} */`;
    const to = c.link === undefined ? '' : `node${c.link.to} `;
    return `${this.#sender(c.task, c.link)} -> ${to}${c.routine}(${a})${note}`;
  }

  #reply(c: Call): string {
    const r = c.reply;
    if (r === null) return '';
    if (this.#latency || this.#portName !== undefined) return this.#replyText(c, r);
    if (this.#sameReply(r)) return (this.#rpText ??= this.#replyText(c, r));
    this.#rememberReply(r);
    return (this.#rpText = this.#replyText(c, r));
  }

  #replyText(c: Call, r: ReplyInfo): string {
    let s = ` = ${r.retCode === null ? '?' : codeName(r.retCode)}`;
    const a = this.#args(r.args, r.elementBytes, r.task);
    if (a !== '') s += ` (${a})`;
    if (r.note !== null) s += ` /* ${r.note} */`;
    if (this.#latency) s += ` <${((r.time - c.time) / 1000).toFixed(6)}>`;
    return s;
  }

  #lone(m: LoneMessage): string {
    if (m.destroyed !== undefined && m.rcvName === undefined) {
      // Destroyed unreceived, outside any traced call: only its id and destination are known.
      return `<... ${m.routine} to port ${m.port} destroyed: ${m.destroyed}>`;
    }
    const who = this.#sender(m.task, m.link);
    if (m.rcvName !== undefined) {
      // A receive that got no message: mach_msg's return code.
      const on = this.#portName === undefined ? String(m.rcvName) : this.#portName(m.task, m.rcvName);
      const note = m.note === null ? '' : ` /* ${m.note} */`;
      return `${who} <- ${m.routine}(receive on ${on}) = ${codeName(m.retCode ?? 0)}${note}`;
    }
    const arrow = m.direction === 'send' ? '->' : '<-';
    const n = m.notification;
    if (n !== null) {
      // Names in the receiver's space, so -y says what they were (the file a dead name was).
      // A link's notification fields are no identities: they print as they came.
      const nm = (x: number): string => (this.#portName === undefined || m.link !== undefined ? String(x) : this.#portName(m.task, x));
      const detail =
        n.kind === 'no-senders' ? `, mscount ${n.mscount}` :
        n.kind === 'port-destroyed' ? `, rights receive ${nm(n.rights)}` :
        n.kind === 'send-once' ? '' : `, name ${nm(n.name)}`;
      return `${who} <- ${m.routine}(port ${nm(n.notifyPort)}${detail})`;
    }
    const a = this.#args(m.args, m.elementBytes, m.task);
    const ret = m.retCode === null ? '' : ` = ${codeName(m.retCode)}`;
    const note = m.note === null ? '' : ` /* ${m.note} */`;
    const to = m.link === undefined ? '' : `node${m.link.to} `;
    return `${who} ${arrow} ${to}${m.routine}(${a})${ret}${note}`;
  }
}

/** A number as String(x) gives it: a whole u32's digits written as they are. */
function numberInto(x: number, out: LineBuffer): void {
  if (Number.isInteger(x) && x >= 0 && x <= 0xffffffff) out.decimal(x);
  else out.str(String(x));
}

// A note as the texts end with one: space, slash-star, the note, star-slash.
function noteInto(note: string, out: LineBuffer): void {
  out.str(' /* ');
  out.str(note);
  out.str(' */');
}

/**
 * The --json object of one message. Schema (every key always present):
 * time (ms), direction ('send'|'receive'), task, taskName (the name the
 * kernel reported for that task, taskCreate's, else null; null for the
 * kernel and on a link), port (kernel id), abi, msgId,
 * routine, subsystem, kind ('request'|'reply'|'notification'|'unknown'),
 * seqno (receive only), remotePort, localPort (names in the task's space),
 * call (the RPC's id, shared by its request and reply messages), args,
 * retCode, retName, notification, latency (ms, on a reply's receive), note,
 * link ({from, to} node ids on a netmsg link, else null).
 */
export function messageJson(
  m: MessageRecord,
  strsize: number = DEFAULT_STRSIZE,
  portName?: (task: number, name: number) => string,
  taskName?: (task: number) => string | undefined,
): { [k: string]: Json } {
  const e = m.event;
  // A link's `task` is a node id, and task 0 is the kernel: neither has a task's name.
  const name = e.link !== undefined || e.task === 0 ? undefined : (taskName?.(e.task) ?? e.taskName);
  const named = portName === undefined ? undefined : (n: number): string => portName(e.task, n);
  const a: { [k: string]: Json } | null =
    m.args === null
      ? null
      : Object.fromEntries(
          Object.entries(m.args).map(([k, v]) => [
            k,
            valueToJson(v, named === undefined ? { strsize, elementBytes: m.elementBytes.get(k) ?? 1 } : { strsize, elementBytes: m.elementBytes.get(k) ?? 1, portName: named }),
          ]),
        );
  const hdr = (n: number | null): Json => (n === null || named === undefined || n === 0 ? n : named(n));
  const n = m.notification;
  return {
    time: e.time,
    direction: e.direction,
    task: e.task,
    taskName: name ?? null,
    port: e.port,
    abi: e.abi,
    msgId: e.msgId,
    routine: m.routine,
    subsystem: m.subsystem,
    kind: m.kind,
    seqno: m.seqno,
    remotePort: hdr(m.remotePort),
    localPort: hdr(m.localPort),
    call: m.callId,
    args: a,
    retCode: m.retCode,
    retName: m.retCode === null ? null : codeName(m.retCode),
    notification: n === null ? null : (Object.fromEntries(Object.entries(n).filter(([k]) => k !== 'seqno')) as { [k: string]: Json }),
    latency: m.latency,
    note: m.note,
    link: e.link === undefined ? null : { from: e.link.from, to: e.link.to },
  };
}

/** The -c table (summary-table.ts: a module of its own, which the command's -c side loads without mach-msg). */
export { formatSummary } from './summary-table.js';
