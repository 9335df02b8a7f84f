/**
 * The agent link protocol (conformance/c/agent.c), pure: no I/O here.
 *
 * Every byte crosses an emulated 16550 UART (QEMU offers the guest at most
 * 14 bytes per main-loop turn, and sends each guest byte with its own
 * send()), so the frames are small: no word is wider than its value needs.
 *
 * After the agent's line "HURD-FFI AGENT READY <abi>\n", every exchange is
 * one request frame and one reply frame, each a LEB128 length (7 bits a
 * byte, low group first, at most 5 bytes) then that many bytes:
 *
 *   request = tag:u8  task  op  nargs  arg[nargs]  data...
 *     task, op, nargs and every arg a LEB128 u32; the rest of the frame is
 *     the request's data bytes (a message to send, bytes to vm_write). The
 *     agent lays it out as the step the executor reads: op, nwords, the args,
 *     then the data padded to whole words (counted in nwords).
 *   reply   = tag:u8  line...
 *     the request's tag (1..255; 0 marks an unasked event frame), then
 *     lines, each a kind letter, its fields, and '\n' (the last line's
 *     '\n' may be left out: the agent drops it, a byte less per reply):
 *       R step kr [v ...]     the call's return code and values
 *       N step name type      one mach_port_names entry
 *       M step bytes          the message buffer after mach_msg
 *       D step bytes          bytes read from task memory
 *       X text [v ...]        the agent could not run the request
 *       # text                a remark, ignored
 *       W task name           (event) a message arrived on a watched port;
 *                             its M line follows
 *       F task seq            (event, or the reply to a msg step handed
 *                             to an idle thread) a step of one of the
 *                             task's fault or sender threads ended
 *                             (fault.c); its lines follow
 *       P task                (event) the C file client (fsclient.c) ended;
 *                             its R and D lines follow
 *     A field is a number, a byte string or text (steps.h, wire_binary):
 *       0x80|v               a number v < 64
 *       0xc0|z<<3|k, k bytes a number m << 8z in k = 1..4 little-endian
 *                            bytes m, k + z <= 4 (port types and rights are
 *                            high bits: MACH_PORT_TYPE_RECEIVE is 0xd1 0x02)
 *       0xd0, number n, n bytes   a byte string
 *       0x20..0x7f           text
 *     An event frame's lines may also be hex text ("R 0 0 1f\n", the
 *     console form of steps.c; fault.c wrote it before 2026-11-29): fields after a
 *     space, numbers in hex, the byte strings of M and D lines as hex
 *     digits. A reply to a request must be binary (a text line there means
 *     an agent that lost its wire form: link_lost).
 *
 * A step's opcode is the scenario interpreter's (conformance/bundle.ts), run
 * by the same C code (conformance/c/steps.c) in the task's own space.
 */
import { HurdFfiError } from '../errors.js';

/** The step opcodes of conformance/c/steps.c: one table for the agent and the scenario interpreter. */
export const OP = {
  allocate: 1,
  deallocate: 2,
  modRefs: 3,
  getRefs: 4,
  insertRight: 5,
  extractRight: 6,
  names: 7,
  type: 8,
  destroy: 9,
  moveMember: 10,
  setQlimit: 11,
  setMscount: 12,
  receiveStatus: 13,
  requestNotification: 14,
  msg: 15,
  /** Scenario-only steps (conformance/scenario.ts): bind a name, a second task, its end. */
  bind: 16,
  task2: 17,
  setPayload: 18,
  clearPayload: 19,
  task2Terminate: 20,
  vmAllocate: 21,
  vmDeallocate: 22,
  vmRead: 23,
  vmWrite: 24,
  watch: 25,
  fsClient: 26,
  taskCreate: 100,
  taskTerminate: 101,
  ping: 102,
  insertFrom: 103,
  extractTo: 104,
  /** vm_map in the task's own space: a step of the fault thread only (conformance/c/fault.c). */
  vmMap: 27,
  /**
   * fault: seq slot op args... hands a step to the task's thread `slot` (0: pager calls; 1..SEND_THREADS: sends
   * that may block, started on first use; fault-thread.ts); R 0 kr at once, the result later as an event "F <task> <seq>" (seq < 2^20).
   * For a msg step to a thread with nothing else to do the agent first waits up to 20 ms (senders.c fault_call): a
   * result within that is the reply itself, its F line first.
   */
  fault: 105,
  /**
   * sendAfter: slot msg-args... a MACH_SEND_TIMEOUT 0 send on the task's worker, made once the earlier sends on
   * thread `slot` are in the kernel (queued, or waiting for room): the reply is the msg step's (senders.c send_after).
   */
  sendAfter: 106,
} as const;

export const READY_MARKER = 'HURD-FFI AGENT READY';
/** The agent's request buffer (agent.c REQ_MAX): the largest request frame body. */
export const MAX_REQUEST = 65536 + 4096;
/** The agent's message buffer (steps.c BUFSZ): the largest send or receive. */
export const AGENT_MSG_MAX = 65536;
/** vm_read/vm_write pieces: a request or reply stays well inside the agent's buffers. */
export const VM_CHUNK = 32768;
/** The largest reply frame taken from the agent (its reply buffer is 3 x 64 KiB). */
const MAX_REPLY = 16 * 1024 * 1024;

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}
function putVarint(out: Uint8Array, o: number, v: number): number {
  while (v >= 0x80) {
    out[o++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[o++] = v;
  return o;
}

/** One request frame: the LEB128 length, then tag, task, op, nargs, the args, the data. */
export function encodeRequest(tag: number, task: number, op: number, args: readonly number[], data?: Uint8Array): Uint8Array {
  const words = [task >>> 0, op >>> 0, args.length];
  for (const a of args) words.push(a >>> 0);
  let body = 1 + (data?.length ?? 0);
  for (const w of words) body += varintSize(w);
  if (body > MAX_REQUEST) throw new HurdFfiError('invalid_option', `a request of ${body} bytes exceeds the agent's ${MAX_REQUEST}`);
  const out = new Uint8Array(varintSize(body) + body);
  let o = putVarint(out, 0, body);
  out[o++] = tag & 0xff;
  for (const w of words) o = putVarint(out, o, w);
  if (data !== undefined) out.set(data, o);
  return out;
}

/**
 * The tty link's escape for the host->agent stream: GNU Mach's comintr()
 * merges a run of 0x1b bytes that arrive in one receive interrupt into one
 * (gnumach-serial-link.md), so no 0x1b may cross: 0x1b -> 1c 02, 0x1c -> 1c 01.
 * The agent undoes it in link_getc. The agent->host direction is clean.
 */
export function escapeTty(bytes: Uint8Array): Uint8Array {
  if (bytes.indexOf(0x1b) < 0 && bytes.indexOf(0x1c) < 0) return bytes; // the common case, in native code
  let extra = 0;
  for (const b of bytes) if (b === 0x1b || b === 0x1c) extra++;
  if (extra === 0) return bytes;
  const out = new Uint8Array(bytes.length + extra);
  let o = 0;
  for (const b of bytes) {
    if (b === 0x1b || b === 0x1c) {
      out[o++] = 0x1c;
      out[o++] = b === 0x1b ? 2 : 1;
    } else out[o++] = b;
  }
  return out;
}

/**
 * Splits the byte stream from the agent into reply frames (tag byte and
 * lines, without the length). A frame that lies whole in one chunk is
 * returned as a view of it, without a copy; only a frame split across
 * chunks is assembled.
 */
export class FrameDecoder {
  private pending: Uint8Array = new Uint8Array(0);

  /**
   * `credits`: the tty mode's empty frames (a zero length byte, the agent's
   * "512 more bytes taken", link.c TTY_CREDIT) are yielded as zero-length
   * frames; without it a zero length is a broken stream, as a reply always
   * has its tag byte.
   */
  constructor(private readonly credits = false) {}

  push(chunk: Uint8Array): Uint8Array[] {
    let buf = chunk;
    if (this.pending.length > 0) {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending);
      buf.set(chunk, this.pending.length);
    }
    const frames: Uint8Array[] = [];
    let off = 0;
    for (;;) {
      let len = 0;
      let p = off;
      let shift = 0;
      let complete = false;
      while (p < buf.length) {
        const b = buf[p++]!;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
        if (shift >= 35) throw new HurdFfiError('link_lost', 'bad frame length from the agent (more than 5 bytes)');
      }
      if (!complete) break;
      if (len < (this.credits ? 0 : 1) || len > MAX_REPLY) throw new HurdFfiError('link_lost', `bad frame length ${len} from the agent`);
      if (buf.length - p < len) break;
      frames.push(buf.subarray(p, p + len));
      off = p + len;
    }
    this.pending = off === buf.length ? new Uint8Array(0) : buf.slice(off);
    return frames;
  }
}

export interface Reply {
  tag: number;
  /** The R line: return code, or null when the agent refused the request. */
  kr: number | null;
  vals: number[];
  names: Array<[number, number]>;
  msg?: Uint8Array;
  data?: Uint8Array;
  /** An X line: why the agent could not run the request. */
  refused?: string;
  /** A W line (event frames): the host task and the watched name the message arrived on. */
  event?: { task: number; name: number };
  /** An F line (event frames): the result of step `seq` that host task `task`'s fault thread ran (fault.c). */
  fault?: { task: number; seq: number };
  /** A P line (event frames): the results of the C file client (fsclient.c) that ran in this host task. */
  clientDone?: number;
  /** D lines by step number (the C file client's data; `data` keeps the last one). */
  dataBySteps?: Map<number, Uint8Array>;
  /** R lines by step number, each [kr, ...values]. */
  results?: Map<number, number[]>;
}

/** One line: its kind letter and its fields in order of kind. */
interface Line {
  kind: number;
  nums: number[];
  bytes: Uint8Array[];
  text: string;
}

const lost = (why: string): HurdFfiError => new HurdFfiError('link_lost', why);
const HEX = /^[0-9a-f]{1,8}$/i;

function hexBytes(s: string): Uint8Array {
  if (s.length % 2 !== 0 || (s.length > 0 && !/^[0-9a-f]+$/i.test(s))) throw lost(`bad hex bytes from the agent: ${s.slice(0, 40)}`);
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

/** The fields of a line in the hex text form (" 0 0 1f", " 0 0102ff", " worker 3"). */
function textFields(line: Line): void {
  const f = line.text.split(' ').filter((x) => x.length > 0);
  const kind = String.fromCharCode(line.kind);
  if (kind === 'X' || kind === '#') return;
  const words: string[] = [];
  f.forEach((x, i) => {
    if ((kind === 'M' || kind === 'D' || kind === 'O') && i === 1) line.bytes.push(hexBytes(x));
    else if (HEX.test(x)) line.nums.push(parseInt(x, 16) >>> 0);
    else words.push(x);
  });
  line.text = words.join(' ');
}

/** Reads one number field at b[i] (its lead byte >= 0x80); returns [value, next index]. */
function number(b: Uint8Array, i: number, end: number): [number, number] {
  const c = b[i]!;
  if (c < 0xc0) return [c & 0x3f, i + 1];
  const k = c & 7;
  const z = (c >> 3) & 3;
  if (c >= 0xe0 || k < 1 || k + z > 4) throw lost(`bad field byte 0x${c.toString(16)} from the agent`);
  if (i + 1 + k > end) throw lost('a number cut short in a reply from the agent');
  let v = 0;
  for (let j = k; j >= 1; j--) v = v * 256 + b[i + j]!;
  return [v * 256 ** z, i + 1 + k];
}

/** Splits a frame's lines (after the tag) into kind and fields, binary or (`textOk`) hex text. */
function lines(b: Uint8Array, start: number, textOk: boolean): Line[] {
  const out: Line[] = [];
  let i = start;
  const end = b.length;
  while (i < end) {
    const kind = b[i++]!;
    if (kind === 0x0a) continue;
    if (kind >= 0x80 || kind < 0x20) throw lost(`bad line start 0x${kind.toString(16)} from the agent`);
    const line: Line = { kind, nums: [], bytes: [], text: '' };
    let text = '';
    while (i < end && b[i] !== 0x0a) {
      const c = b[i]!;
      if (c < 0x80) {
        if (c < 0x20) throw lost(`bad text byte 0x${c.toString(16)} from the agent`);
        text += String.fromCharCode(c);
        i++;
      } else if (c === 0xd0) {
        if (i + 1 >= end || b[i + 1]! < 0x80) throw lost('a byte string without its length from the agent');
        const [n, at] = number(b, i + 1, end);
        if (at + n > end) throw lost('a byte string cut short in a reply from the agent');
        line.bytes.push(b.slice(at, at + n));
        i = at + n;
      } else {
        const [v, at] = number(b, i, end);
        line.nums.push(v);
        i = at;
      }
    }
    i++; // the '\n'
    line.text = text;
    if (line.nums.length === 0 && line.bytes.length === 0 && text.length > 0 && kind !== 0x58 && kind !== 0x23) {
      // Not an X or # line (text in both forms): the hex text form.
      if (!textOk) throw lost(`a hex text line in a reply from the agent: ${String.fromCharCode(kind)}${text.slice(0, 80)}`);
      textFields(line);
    }
    out.push(line);
  }
  return out;
}

export function parseReply(frame: Uint8Array): Reply {
  if (frame.length < 1) throw lost('short reply frame from the agent');
  const r: Reply = { tag: frame[0]!, kr: null, vals: [], names: [] };
  const results = new Map<number, number[]>();
  const dataBySteps = new Map<number, Uint8Array>();
  for (const line of lines(frame, 1, frame[0] === 0)) {
    const n = line.nums;
    switch (String.fromCharCode(line.kind)) {
      case 'R':
        if (line.text.trim() === 'unsupported') r.refused = 'unsupported step';
        else {
          r.kr = n[1] ?? 0;
          r.vals = n.slice(2);
          results.set(n[0] ?? 0, [r.kr, ...r.vals]);
        }
        break;
      case 'N':
        r.names.push([n[1] ?? 0, n[2] ?? 0]);
        break;
      case 'M':
        r.msg = line.bytes[0] ?? new Uint8Array(0);
        break;
      case 'D':
        r.data = line.bytes[0] ?? new Uint8Array(0);
        dataBySteps.set(n[0] ?? 0, r.data);
        break;
      case '#':
        break; // a note from the agent (e.g. MIG reset its reply port)
      case 'W':
        r.event = { task: n[0] ?? 0, name: n[1] ?? 0 };
        break;
      case 'F':
        r.fault = { task: n[0] ?? 0, seq: n[1] ?? 0 };
        break;
      case 'P':
        r.clientDone = n[0] ?? 0;
        break;
      case 'X':
        r.refused = [line.text.trim(), ...n.map((v) => v.toString(16))].filter((x) => x.length > 0).join(' ');
        break;
      default:
        throw lost(`unexpected line from the agent: ${String.fromCharCode(line.kind)}${line.text.slice(0, 80)}`);
    }
  }
  if (r.clientDone !== undefined) {
    // The C file client's report: several calls, told apart by step number.
    r.results = results;
    r.dataBySteps = dataBySteps;
  }
  if (r.kr === null && r.refused === undefined && r.event === undefined && r.fault === undefined && r.clientDone === undefined) throw lost('reply without a result line');
  return r;
}
